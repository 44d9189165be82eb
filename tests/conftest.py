import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # test fixtures such as dm_writer
