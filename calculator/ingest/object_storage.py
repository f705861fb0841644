"""Object storage and other fsspec locations: the filesystem a location names, and what a
storage package says when it cannot be used, in words (never its traceback, and at most a
line of its own message)."""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from calculator.errors import InvalidArgument, InvalidInput, shortened

# The protocols of the stores and the package each needs.
_PLUGINS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs",
            "abfs": "adlfs", "abfss": "adlfs"}

# Where each store's package reads credentials from, for messages about missing ones.
_CREDENTIALS = ("credentials are read from the usual environment (for S3: AWS_ACCESS_KEY_ID "
                "and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; for Google Cloud Storage: "
                "GOOGLE_APPLICATION_CREDENTIALS; for Azure: AZURE_STORAGE_CONNECTION_STRING, or "
                "AZURE_STORAGE_ACCOUNT_NAME with a key or token)")


def shown_location(location: str) -> str:
    """A location as messages and a result name it: a URL without its user name, password,
    query and fragment (a signed URL's token or signature, ``https://user:pw@host/...``),
    which were echoed in every message about it."""
    if "://" not in location:
        return location
    try:
        parts = urlsplit(location)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # an unclosed [ in the host, a port that is no number
        return location.split("://", 1)[0] + "://…"
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def without_secrets(message: str, location: str) -> str:
    """``message`` (a storage package's own words may quote the URL) with the parts of
    ``location`` that ``shown_location`` leaves out taken out."""
    if "://" not in location:
        return message
    message = message.replace(location, shown_location(location))
    try:
        parts = urlsplit(location)
    except ValueError:
        return message
    # Each with its delimiter: a user name of one letter, taken out bare, took that letter
    # out of every word of the message.
    userinfo = parts.netloc.rpartition("@")[0]
    for secret in (userinfo and userinfo + "@", parts.query and "?" + parts.query,
                   parts.fragment and "#" + parts.fragment):
        if secret:
            message = message.replace(secret, "")
    return message


def filesystem(location: str) -> tuple[Any, str]:
    """The fsspec filesystem of a location and the path in it, or why there is none in
    words: a package to install, a protocol no package reads, a store that cannot be
    reached or set up."""
    import fsspec  # only when files are listed: fsspec and its plugins load slowly

    protocol = location.split("://", 1)[0].lower() if "://" in location else "file"
    shown = shown_location(location)

    def said(exc: BaseException) -> str:  # the package's words, without the URL's secrets
        return without_secrets(_first_line(exc), location)

    try:
        return fsspec.core.url_to_fs(location)
    except ImportError as exc:
        if protocol not in _PLUGINS:  # fsspec's own words name the package (paramiko...)
            raise InvalidArgument(f"reading {protocol}:// locations needs a package that is "
                                  f"not installed: {said(exc)}") from None
        package = _PLUGINS[protocol]
        raise InvalidArgument(f"reading {protocol}:// locations needs {package}; install it "
                              f"(pip install {package})") from None
    except ValueError as exc:
        if protocol in _PLUGINS:  # adlfs: no account name or connection string
            raise InvalidInput(f"cannot read {shown}: the storage could not be set up "
                               f"({said(exc)}); {_CREDENTIALS}") from None
        raise InvalidArgument(f"{protocol}:// is not a storage this service can read "
                              f"({said(exc)})") from None
    except OSError as exc:  # a storage that connects as it is opened (ftp://, hdfs://)
        raise InvalidInput(f"cannot reach {shown}: {exc.strerror or said(exc)}") from None
    except Exception as exc:  # each storage's package has errors of its own
        raise storage_refused(shown, exc) from None


def _first_line(exc: BaseException) -> str:
    """A storage package's message, its first line and at most 200 characters (pyarrow's
    HDFS error lists every place it looked for Java: 15,533 characters on 89 lines)."""
    lines = str(exc).strip().splitlines()
    return shortened(lines[0], 200) if lines else type(exc).__name__


def nothing_found(fs: Any, path: str, text: str) -> InvalidInput:
    """Nothing at a location, or, where the store answers "not found" for any failure
    (fsspec's HTTP store does), why it could not be looked at: a server whose TLS
    certificate is not trusted, or that cannot be reached."""
    try:
        fs.info(path)
    except Exception as exc:
        failure: BaseException | None = exc
        for _ in range(8):  # the chain of causes, a few deep
            if failure is None:
                break
            if isinstance(failure, ssl.SSLCertVerificationError):
                # aiohttp's own error of this class keeps the ssl module's in an attribute.
                reason = getattr(failure, "verify_message", None) or getattr(
                    getattr(failure, "certificate_error", None), "verify_message", None)
                return InvalidInput(
                    f"cannot read {text}: the server's TLS certificate is not trusted "
                    f"({reason or 'it could not be verified'}); if a private authority "
                    "signed it, name that authority's certificate file in the SSL_CERT_FILE "
                    "environment variable")
            if isinstance(failure, ssl.SSLError | ConnectionError) or (
                    isinstance(failure, OSError) and not isinstance(failure, FileNotFoundError)
                    and failure.errno is not None):
                return InvalidInput(f"cannot read {text}: the server could not be reached "
                                    f"({type(failure).__name__})")
            failure = failure.__cause__ or failure.__context__
    return InvalidInput(f"no files found at {text}")


def storage_refused(location: str, exc: Exception) -> InvalidInput:
    """A storage's own error, said in words: missing credentials with where they are looked
    for (boto's ``NoCredentialsError``, Google's ``DefaultCredentialsError``, Azure's
    ``ClientAuthenticationError``...), anything else by the name of its kind."""
    kind = type(exc).__name__
    if "credential" in kind.lower() or "authentication" in kind.lower():
        return InvalidInput(
            f"cannot read {location}: the storage asked for credentials and none were found "
            f"or accepted ({kind}); {_CREDENTIALS}")
    return InvalidInput(f"cannot read {location}: the storage refused ({kind})")
