"""Caps on everything a person can ask for, in one place.

A classroom shares one server with about 1 GB of memory, so every size a person
can type, upload or put in a URL is clamped to these ranges. The README lists
them; ``explorer.app`` and the URL parser clamp to them; the core's own entry
points (datasets, CSV parsing, weight loading) enforce them too.
"""

# Data
MAX_POINTS = 2000          # generated 2-D points per dataset
MIN_POINTS = 20
MAX_CSV_BYTES = 1_000_000  # uploaded CSV of 2-D points
MAX_CSV_ROWS = 5000
MIN_CLASSES = 2
MAX_CLASSES = 10           # uploaded CSV
MAX_GEN_CLASSES = 6        # blobs and spirals

# Networks
MIN_HIDDEN_LAYERS = 1
MAX_HIDDEN_LAYERS = 4
MIN_UNITS = 1
MAX_UNITS = 64             # classifier units per hidden layer
MAX_AE_UNITS = 128         # autoencoder code size
MAX_PARAMS = 50_000        # any network the app builds or loads

# Training
MIN_LR = 1e-5              # learning rate: a link, a widget, a fork, a suggestion
MAX_LR = 10.0
#: the learning rates a widget and a fork offer: 1 and 3 times each power of ten
LR_LADDER = tuple(float(f"{m}e{e}") for e in range(-5, 2) for m in (1, 3)
                  if MIN_LR <= float(f"{m}e{e}") <= MAX_LR)
MAX_CLIP = 100.0           # gradient clipping threshold (0: off)
#: the clipping thresholds its widget offers: off, then 1 and 3 times each power of ten
#: (every threshold the divergence advice suggests is one of them)
CLIP_LADDER = (0.0,) + tuple(float(f"{m}e{e}") for e in range(-3, 3) for m in (1, 3)
                             if float(f"{m}e{e}") <= MAX_CLIP)
MAX_BATCH = 2000
MAX_EPOCHS_PER_RUN = 2000  # one press of Train
MAX_SECONDS_PER_RUN = 120  # one press of Train, wall clock
MAX_LIVE_RUNS_PER_BROWSER = 4   # training at once in one browser's tabs (a teacher: the
                                # projector, a laptop, a fork); the fifth waits its turn
MAX_TABS_PER_BROWSER = 12       # open sessions of one browser (each tab is a session)
MAX_SESSIONS = 250              # open sessions of one server process: a session training
                                # the default network holds about 2 MB (bench/load.py, 100
                                # sessions: 314 MB at the peak), so a full one stays under 1 GB
MAX_GRID = 200             # decision-boundary grid resolution per side
MAX_UPLOAD_BYTES = 2_000_000  # uploaded weights (.npz)
