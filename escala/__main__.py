import sys

from escala.cli import main

sys.exit(main())
