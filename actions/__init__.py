"""Custom actions of the Muni citizen assistant (run by the rasa-sdk action server).

Content and municipality profiles are loaded and validated when the action server
starts, so a malformed file stops it at once with a message naming file and field,
instead of failing later in a conversation. Log records of the action server are
redacted (CPR, phone numbers, e-mail addresses) like those of Rasa and the gateway.
"""

from actions.context import content, registry
from muni_core.redaction import install_log_redaction

install_log_redaction()
registry()
content()
