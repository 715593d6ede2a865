"""cdktf app entry point: read the configuration, synthesize one stack per region (see README)."""

import sys

from guardduty_alerts.cli import main

if __name__ == "__main__":
    sys.exit(main())
