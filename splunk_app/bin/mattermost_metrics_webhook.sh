#!/bin/sh
# The app's alert action (default/alert_actions.conf, [mattermost_metrics_webhook]):
# splunkd runs this script, named as the action, with --execute and the
# alert's payload on stdin; the app's own binary does the work (docs/alerts.md).
exec "$(dirname "$0")/../linux_x86_64/bin/mattermost_metrics" "$@"
