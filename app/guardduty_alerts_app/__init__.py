"""The YAML-driven app of this repository (not published with the construct library).

    config/      the configuration file: schema, loading, validation, frozen settings
    planning.py  which stacks a configuration gives (one per account and region) and their deployment order
    stacks/      the cdktf stacks around the constructs, and synthesis into cdktf.out/
    review_inputs.py  the configuration as the review tools take it (package guardduty_alerts_review)
    cli.py       `python main.py COMMAND`: synth, stacks, and the review tools

Imports run one way: cli -> stacks -> planning -> config -> the construct library (`guardduty_alerts`); the
review tools depend on the library only, and the CLI hands them what a configuration says.
"""
