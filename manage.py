#!/usr/bin/env python
from mapro.cli import main

if __name__ == "__main__":
    main()
