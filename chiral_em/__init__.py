"chiral_em: runnable companion to five papers on deep learning for electron microscopy."
# Hand-written (the one module nbdev does not generate): the version, nothing else. Importing chiral_em has no side
# effects: no environment variable, no file, no thread count (the offline settings are applied by
# `core.import_ultralytics`, see nbs/00_core.ipynb).
__version__ = "0.1.0"
