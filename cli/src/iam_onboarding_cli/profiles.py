"""The AWS shared files as the terminal commands read them: `~/.aws/config` and `~/.aws/credentials`.

SPEC §14's layout, after aws-mfa's `-long-term` convention: the long-term key sits in the credentials file
as `[P-long-term]`; the config has `[profile P-long-term]` (region, `mfa_serial`) and `[profile P]`
(region, `mfa_serial`, `source_profile = P-long-term`, `credential_process = … credential-process
--profile P`). Read with `configparser`, as botocore's own config loader reads them; that import is
left to the functions that parse, as `credential-process`'s cached path only needs the two paths.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs the cached path milliseconds
if TYPE_CHECKING:
    import configparser

LONG_TERM_SUFFIX = "-long-term"


def config_file() -> str:
    """`$AWS_CONFIG_FILE`, else `~/.aws/config` (where the AWS CLI and the SDKs look)."""
    return os.path.expanduser(os.environ.get("AWS_CONFIG_FILE") or os.path.join("~", ".aws", "config"))


def credentials_file() -> str:
    """`$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`."""
    return os.path.expanduser(
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join("~", ".aws", "credentials")
    )


def read(path: str) -> configparser.RawConfigParser:
    """The file's sections (none when it does not exist); ValueError when it cannot be parsed."""
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise ValueError(f"{path} cannot be read: {error.message}") from None
    return parser


def config_section(name: str) -> str:
    """A profile's section name in the config file: `default`, else `profile NAME`."""
    return name if name == "default" else f"profile {name}"


def settings(parser: configparser.RawConfigParser, section: str) -> dict[str, str]:
    """One section's settings, {} when it is absent."""
    return dict(parser.items(section)) if parser.has_section(section) else {}


class KeyProfile:
    """A profile of SPEC §14's layout: its MFA device and the long-term key of its source profile.

    A plain class, not a dataclass: `dataclasses` alone would double the cached path's start-up.
    """

    __slots__ = ("access_key_id", "mfa_serial", "name", "region", "source")

    def __init__(
        self, name: str, source: str, mfa_serial: str, access_key_id: str, region: str | None
    ) -> None:
        self.name = name
        self.source = source
        self.mfa_serial = mfa_serial
        self.access_key_id = access_key_id
        self.region = region


def key_profile(name: str) -> KeyProfile:
    """Profile `name` as `credential-process` needs it; ValueError saying what is missing."""
    config = read(config_file())
    profile = settings(config, config_section(name))
    if not profile:
        raise ValueError(
            f"No profile {name} in {config_file()}: run `iam-onboarding configure --profile {name}`."
        )
    source = profile.get("source_profile") or name + LONG_TERM_SUFFIX
    mfa_serial = profile.get("mfa_serial") or settings(config, config_section(source)).get("mfa_serial")
    if not mfa_serial:
        raise ValueError(
            f"Profile {name} names no mfa_serial: run `iam-onboarding configure --profile {name}`."
        )
    # Like botocore: the credentials file first, then the config file's section of the source profile.
    key = settings(read(credentials_file()), source).get("aws_access_key_id") or settings(
        config, config_section(source)
    ).get("aws_access_key_id")
    if not key:
        raise ValueError(
            f"No access key for profile {source} in {credentials_file()}: put your key there as [{source}]."
        )
    return KeyProfile(name, source, mfa_serial, key, profile.get("region"))
