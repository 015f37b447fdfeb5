"""The product's errors, each with its HTTP status and snake_case code: the one table that maps them."""

from __future__ import annotations


class ProductError(Exception):
    """An error a caller can act on; becomes `{"error": {"code", "message"}}` with `status`."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: int) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # fields of `error` beyond code and message: data, not prose to parse


class InvalidRequest(ProductError):
    """The body is not what this endpoint accepts (wrong field, type or value)."""

    code = "invalid_request"


class MalformedJson(ProductError):
    """The body is not JSON."""

    code = "malformed_json"


class BodyTooLarge(ProductError):
    """The body is over the limit every route keeps (JSON and Slack's forms alike)."""

    code = "body_too_large"
    LIMIT_BYTES = 16 * 1024

    @classmethod
    def check(cls, body: bytes | str) -> None:
        """Refuse `body` if it is over the limit, before anything reads it."""
        if len(body) > cls.LIMIT_BYTES:
            raise cls(f"The request body is over {cls.LIMIT_BYTES // 1024} KiB.")


class MissingAuthentication(ProductError):
    """No caller identity came with the request."""

    status = 401
    code = "missing_authentication"


class NotAnAdmin(ProductError):
    """The caller is not in an admin group."""

    status = 403
    code = "forbidden"


class ForeignAccount(ProductError):
    """The caller belongs to another AWS account than the one that owns this API."""

    status = 403
    code = "foreign_account"

    def __init__(
        self, message: str = "Only IAM principals of the AWS account that runs this service may call it."
    ) -> None:
        super().__init__(message)


class UserNotFound(ProductError):
    """No managed user of that name."""

    status = 404
    code = "user_not_found"


class UserOutsideManagedPath(UserNotFound):
    """The IAM user exists but was moved out of the managed path: not ours to act on (still a 404)."""


class UnmanagedGroupMembership(ProductError):
    """The user is in a group outside the managed ones, which the service may not change."""

    status = 409
    code = "unmanaged_group_membership"


class OffboardingInProgress(ProductError):
    """Another request is offboarding the same user right now."""

    status = 409
    code = "offboarding_in_progress"


class ConcurrentChange(ProductError):
    """Another request changed the same user at the same moment; nothing was done, try again."""

    status = 409
    code = "conflict"


class UserExists(ProductError):
    """A user of that name (in any letter case) exists already."""

    status = 409
    code = "user_exists"


class MfaAlreadyEnabled(ProductError):
    """The user has an MFA device already."""

    status = 409
    code = "mfa_already_enabled"


class LinkExpired(ProductError):
    """A one-time link that is used, expired or unknown: deliberately indistinguishable."""

    status = 410
    code = "link_expired"

    def __init__(
        self, message: str = "This link has expired or was already used. Ask your admin for a new one."
    ) -> None:
        super().__init__(message)


class LinkAlreadyOpened(LinkExpired):
    """A claimed credential link, to its holder (256 random bits: no guesser learns anything from it)."""

    code = "link_already_opened"


class TooManyWrongCodes(LinkExpired):
    """The wrong pair of codes that spent an enrollment link (the fifth)."""

    code = "too_many_wrong_codes"


class InvalidMfaCodes(ProductError):
    """The MFA codes do not match the device being enrolled; `details["tries_left"]` pairs are left."""

    code = "invalid_mfa_codes"


class AwsStepFailed(ProductError):
    """An AWS call failed; the message names the step and says whether anything was left behind."""

    status = 502
    code = "aws_error"

    def __init__(self, step: str, aws_code: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.aws_code = aws_code


class AwsUnavailable(AwsStepFailed):
    """AWS throttled or failed even after retries: try again later."""

    status = 503
    code = "aws_unavailable"


class EnrollmentNotStarted(ProductError):
    """Codes were sent before enrollment was started: there is no device to check them against."""

    status = 409
    code = "enrollment_not_started"


class EnrollmentConflict(ProductError):
    """Enrollment was started again elsewhere while this request was under way."""

    status = 409
    code = "enrollment_conflict"


class MfaDeviceLimit(ProductError):
    """IAM refused another MFA device (per-user or per-account quota)."""

    status = 409
    code = "mfa_device_limit"


class InvalidSlackSignature(ProductError):
    """A request to `/slack/*` that Slack did not sign, or signed more than five minutes ago."""

    status = 401
    code = "invalid_signature"

    def __init__(self, message: str = "The request is not signed by Slack, or is too old.") -> None:
        super().__init__(message)


class ForeignSlackApp(ProductError):
    """A signed Slack request from another workspace or app than the one this deployment trusts."""

    status = 403
    code = "foreign_slack_app"

    def __init__(
        self, message: str = "This request comes from a Slack workspace or app we do not serve."
    ) -> None:
        super().__init__(message)


class SecretUnavailable(ProductError):
    """A secret of the service (in SSM) does not exist, or this function may not decrypt it."""

    status = 503
    code = "secret_unavailable"


class SlackNotConfigured(ProductError):
    """The Slack signing secret is not set, so no Slack request can be trusted."""

    status = 503
    code = "slack_not_configured"

    def __init__(
        self,
        message: str = (
            "Slack is not set up on this deployment: set SLACK_SIGNING_SECRET to the Slack app's signing "
            "secret (deployed: SLACK_SIGNING_SECRET_PARAM, the name of the SSM parameter that holds it) and "
            "SLACK_ADMINS to the Slack user ids allowed to act, each mapped to an IAM admin "
            "(U012AB3CD:alice,U045EF6GH:bob)."
        ),
    ) -> None:
        super().__init__(message)


class CredentialReportNotReady(ProductError):
    """IAM did not finish the credential report before the audit's deadline."""

    status = 503
    code = "credential_report_not_ready"


class NoReport(ProductError):
    """No audit has been stored yet."""

    status = 404
    code = "no_report"


class NotAnIamUser(ProductError):
    """Only an IAM user (no role, assumed-role or federated session, no root) may do this."""

    status = 403
    code = "forbidden"


class ElevationNotFound(ProductError):
    """No elevation request of that id (or none of the caller's)."""

    status = 404
    code = "elevation_not_found"


class SelfApproval(ProductError):
    """An admin tried to approve or deny their own elevation request."""

    status = 403
    code = "self_approval"


class ElevationPending(ProductError):
    """The user already has a pending request for that group."""

    status = 409
    code = "elevation_pending"


class ElevationNotPending(ProductError):
    """The request was decided already, lapsed, or was withdrawn: it cannot be decided now."""

    status = 409
    code = "elevation_not_pending"


class MfaRequired(ProductError):
    """The caller signed with a long-term key, which never carries MFA."""

    status = 403
    code = "mfa_required"
