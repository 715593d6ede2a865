"""cdktf app entry point: read the configuration, synthesize one stack per account and region (see README)."""

import sys

from guardduty_alerts_app.cli import main

if __name__ == "__main__":
    sys.exit(main())
