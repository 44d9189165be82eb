"chiral_em: runnable companion to five papers on deep learning for electron microscopy."
# Hand-written (the one module nbdev does not generate): version, and the offline guard run on import.
__version__ = "0.1.0"

from .core import offline_guard as _offline_guard
_offline_guard()
