"""Review tools (not published with the construct library): what a configuration or a change does, before
and after it is applied.

    alerting.py      StackAlerting: what one stack mails, the input of preview and explain
    preview.py       `main.py preview`: which events are mailed, by which rule, with the exact mail text
    preview_aws.py   `main.py preview --aws`: the same patterns and events put to EventBridge's TestEventPattern
    explain.py       `main.py explain`: a table per stack of what is mailed to whom
    plan_summary/    `main.py plan-summary`: Terraform plans in words, for a pull-request comment
    verify/          `main.py verify`: the live deployment checked, and proven with a sample finding
    policy_reader.py does a topic or key policy let a service take an action (plan summary and verify)
    synth_output.py  `main.py changed-stacks`: which stacks' Terraform differs between two synth outputs
    plan_runner.py   `main.py plan`: terraform init/plan/show of many stacks in parallel, in shards

They depend on the construct library (`guardduty_alerts`) only (plus moto for preview and boto3 for the
live checks), never on the app: the app's CLI turns its configuration into their inputs.
"""
