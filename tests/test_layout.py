"""The arrows between tiers (DEVELOPING.md): imports only point down.

| tier | modules | may import from chiral_em |
|---|---|---|
| core | core, emio, datasets, models, cli | core (only `__main__` imports cli) |
| engines | sim/* | core, engines |
| tools | everything else | core, engines, tools |
| chapters | morphology | core, engines, tools (no other chapter) |

Every import counts: module level, inside functions, absolute and relative (`from . import x`, `from .sim import y`).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = {"core", "emio", "datasets", "models", "cli"}
CHAPTERS = {"morphology"}
SKIP = {"_modidx", "__init__", "__main__"}
ALLOWED = {"core": {"core"}, "engines": {"core", "engines"}, "tools": {"core", "engines", "tools"},
           "chapters": {"core", "engines", "tools", "chapters"}}


def module_name(pkg:Path, f:Path)->str:
    "`chiral_em.sim.sem` for `<pkg>/sim/sem.py` (a package's `__init__.py` is the package)."
    parts = [pkg.name, *f.relative_to(pkg).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def tier(mod:str)->str|None:
    "The tier of a chiral_em module, None for modules the rules skip."
    parts = mod.split(".")[1:]
    if not parts or parts[-1] in SKIP: return None
    if parts[0] == "sim": return "engines"
    if parts[0] in CORE: return "core"
    if parts[0] in CHAPTERS: return "chapters"
    return "tools"


def imports(pkg:Path, f:Path)->list[tuple[int, str]]:
    "`(line, module)` for every chiral_em module `f` imports; `from X import name` counts X.name where that is a module."
    me = module_name(pkg, f).split(".")
    base = me if f.name == "__init__.py" else me[:-1]   # the package relative imports start from
    out = []
    for n in ast.walk(ast.parse(f.read_text(encoding="utf-8"), str(f))):
        if isinstance(n, ast.Import): out += [(n.lineno, a.name) for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            mod = ".".join(base[:len(base) - n.level + 1] + ([n.module] if n.module else [])) if n.level else n.module
            for a in n.names:   # `from chiral_em import segment` imports the module chiral_em.segment
                sub = f"{mod}.{a.name}"
                is_mod = (pkg.parent/Path(*sub.split("."))).with_suffix(".py").exists() or \
                         (pkg.parent/Path(*sub.split("."))/"__init__.py").exists()
                out.append((n.lineno, sub if is_mod else mod))
    return [(l, m) for l, m in out if m == pkg.name or m.startswith(pkg.name + ".")]


def check_layout(pkg:Path)->list[str]:
    "Every import in package `pkg` that breaks the tier rules, as 'file:line: a → b (why)'."
    errors = []
    for f in sorted(pkg.rglob("*.py")):
        src = module_name(pkg, f)
        for line, dst in imports(pkg, f):
            where = f"{f.relative_to(pkg.parent)}:{line}: {src} → {dst}"
            dparts = dst.split(".")[1:]
            if dparts[:1] == ["cli"] and not src.endswith("__main__"):
                errors.append(f"{where} (only __main__ imports cli)"); continue
            ts, td = tier(src), tier(dst)
            if ts is None or td is None: continue
            if td not in ALLOWED[ts]: errors.append(f"{where} ({ts} may not import {td})")
            elif ts == td == "chapters" and src.split(".")[1] != dst.split(".")[1]:
                errors.append(f"{where} (a chapter may not import another chapter)")
    return errors


def import_cycles(pkg:Path)->list[list[str]]:
    "Import cycles between modules of `pkg` (Tarjan's strongly connected components of size > 1, or self-loops)."
    graph = {module_name(pkg, f): {m for _, m in imports(pkg, f)} for f in sorted(pkg.rglob("*.py"))}
    index, low, stack, on, out = {}, {}, [], set(), []
    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph: continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v: break
            if len(comp) > 1 or v in graph[v]: out.append(sorted(comp))
    for v in graph:
        if v not in index: visit(v)
    return out


def test_layout():
    errors = check_layout(ROOT/"chiral_em")
    assert not errors, "imports that point up a tier:\n" + "\n".join(errors)


def test_no_import_cycles():
    "Tools may import tools, but never in a circle: a reader must find one direction of flow."
    cycles = import_cycles(ROOT/"chiral_em")
    assert not cycles, f"import cycles: {cycles}"


def test_cycle_checker(tmp_path):
    pkg = tmp_path/"chiral_em"
    pkg.mkdir()
    (pkg/"__init__.py").write_text("")
    (pkg/"a.py").write_text("from .b import x\n")
    (pkg/"b.py").write_text("def f():\n    from chiral_em.a import y\n")
    (pkg/"c.py").write_text("from .a import x\n")
    assert import_cycles(pkg) == [["chiral_em.a", "chiral_em.b"]]


def test_checker_sees_forbidden_imports(tmp_path):
    pkg = tmp_path/"chiral_em"
    (pkg/"sim").mkdir(parents=True)
    for f in ("__init__.py", "core.py", "segment.py", "morphology.py", "viz.py", "cli.py", "__main__.py",
              "sim/__init__.py", "sim/optics.py"):
        (pkg/f).write_text("")
    (pkg/"sim"/"sem.py").write_text("from chiral_em.core import check_image\nfrom .optics import mtf\n"
                                    "def f():\n    import chiral_em.segment\n    from .. import viz\n")
    (pkg/"core.py").write_text("from .emio import x\ndef g():\n    from chiral_em.sim import sem\n")
    (pkg/"segment.py").write_text("from .sim.sem import render\nfrom chiral_em import morphology\n")
    (pkg/"viz.py").write_text("from chiral_em.cli import main\n")
    (pkg/"morphology.py").write_text("from . import segment, viz\nfrom .core import write_json\n")
    (pkg/"__main__.py").write_text("from chiral_em.cli import main\n")
    errors = "\n".join(check_layout(pkg))
    for bad in ["chiral_em.sim.sem → chiral_em.segment (engines may not import tools)",
                "chiral_em.sim.sem → chiral_em.viz (engines may not import tools)",
                "chiral_em.core → chiral_em.sim.sem (core may not import engines)",
                "chiral_em.segment → chiral_em.morphology (tools may not import chapters)",
                "chiral_em.viz → chiral_em.cli (only __main__ imports cli)"]:
        assert bad in errors, (bad, errors)
    for ok in ["sim.sem → chiral_em.core ", "sim.sem → chiral_em.sim.optics", "segment → chiral_em.sim.sem",
               "morphology → chiral_em.segment", "__main__.py"]:
        assert ok not in errors, (ok, errors)
    assert len(errors.splitlines()) == 5, errors
