"""Image manifests and the task's CPU architecture: is the image runnable where the task ran?

Manifest kinds read here, all JSON:
- Docker image manifest v2 schema 2 and OCI image manifest: one image; its platform is in the config
  blob (architecture, os, variant, os.version), not in the manifest.
  https://github.com/opencontainers/image-spec/blob/main/manifest.md
- Docker manifest list and OCI image index: one entry per platform.
  https://github.com/opencontainers/image-spec/blob/main/image-index.md
- BuildKit attestation manifests sit in the index as entries with platform unknown/unknown and the
  annotation vnd.docker.reference.type=attestation-manifest; they are not runnable images.
  https://docs.docker.com/build/metadata/attestations/attestation-storage/
- Docker schema 1 (legacy) names the architecture at the top level.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPTED_MEDIA_TYPES = (OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_V2, DOCKER_V1)
_INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
_ATTESTATION = "attestation-manifest"

# Image platforms use Go's GOARCH names; ECS uses x86_64/arm64 (attribute) or X86_64/ARM64 (runtimePlatform).
_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "x86-64": "x86_64", "x64": "x86_64",
         "arm64": "arm64", "aarch64": "arm64", "arm64/v8": "arm64"}

# Windows containers need a host of the same build (major.minor.build) unless Hyper-V isolated, which
# ECS does not offer: https://learn.microsoft.com/en-us/virtualization/windowscontainers/deploy-containers/version-compatibility
# operatingSystemFamily values: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RuntimePlatform.html
WINDOWS_BUILDS = {"WINDOWS_SERVER_2016_FULL": "10.0.14393", "WINDOWS_SERVER_2019_FULL": "10.0.17763",
                  "WINDOWS_SERVER_2019_CORE": "10.0.17763", "WINDOWS_SERVER_2004_CORE": "10.0.19041",
                  "WINDOWS_SERVER_20H2_CORE": "10.0.19042", "WINDOWS_SERVER_2022_CORE": "10.0.20348",
                  "WINDOWS_SERVER_2022_FULL": "10.0.20348"}

_ECR = re.compile(r"^(?P<registry>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
                  r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


class ManifestError(ValueError):
    """The registry answered with something that is not a manifest this module can read."""


def normalize_arch(value: Any) -> str | None:
    """x86_64 or arm64 for the names ECS and registries use; other names lower-cased; None if empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    name = value.strip().lower()
    return _ARCH.get(name, name)


@dataclass(frozen=True, slots=True)
class Platform:
    """One runnable platform of an image."""

    os: str
    architecture: str
    variant: str | None = None
    os_version: str | None = None

    @property
    def is_unknown(self) -> bool:
        """Attestation and other non-image entries carry unknown/unknown."""
        return self.os == "unknown" or self.architecture == "unknown"

    def __str__(self) -> str:
        arch = {"x86_64": "amd64"}.get(self.architecture, self.architecture)  # say it the way docker does
        text = f"{self.os}/{arch}" + (f"/{self.variant}" if self.variant else "")
        return text + (f" {self.os_version}" if self.os_version else "")

    @classmethod
    def from_dict(cls, raw: Any) -> "Platform":
        """Read a platform object (index entry) or an image config blob."""
        raw = raw if isinstance(raw, dict) else {}
        os_version = raw.get("os.version")
        variant = raw.get("variant")
        return cls(os=str(raw.get("os") or "unknown").lower(), architecture=normalize_arch(raw.get("architecture")) or "unknown",
                   variant=variant if isinstance(variant, str) and variant else None,
                   os_version=os_version if isinstance(os_version, str) and os_version else None)


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a manifest says about platforms: an index lists them, a single image points at its config."""

    media_type: str
    is_index: bool
    platforms: tuple[Platform, ...] = ()
    config_digest: str | None = None
    attestations: int = 0


def parse_manifest(body: str | bytes | Mapping, media_type: str | None = None) -> Manifest:
    """Read any manifest kind listed in the module docstring; raise ManifestError for anything else."""
    if isinstance(body, (str, bytes)):
        try:
            document = json.loads(body)
        except ValueError as error:
            raise ManifestError("manifest is not JSON") from error
    else:
        document = body
    if not isinstance(document, dict):
        raise ManifestError("manifest is not a JSON object")
    kind = media_type or document.get("mediaType") or ""
    if kind in _INDEX_TYPES or (not kind and isinstance(document.get("manifests"), list)):
        entries = document.get("manifests")
        if not isinstance(entries, list):
            raise ManifestError("index has no manifests list")
        platforms, attestations = [], 0
        for entry in entries:
            entry = entry if isinstance(entry, dict) else {}
            annotations = entry.get("annotations") if isinstance(entry.get("annotations"), dict) else {}
            platform = Platform.from_dict(entry.get("platform"))
            if annotations.get("vnd.docker.reference.type") == _ATTESTATION or platform.is_unknown:
                attestations += 1
                continue
            platforms.append(platform)
        return Manifest(kind or OCI_INDEX, True, tuple(platforms), attestations=attestations)
    if isinstance(document.get("config"), dict):
        digest = document["config"].get("digest")
        if not isinstance(digest, str) or not digest.startswith("sha256:"):
            raise ManifestError("image manifest has no config digest")
        return Manifest(kind or OCI_MANIFEST, False, config_digest=digest)
    if document.get("schemaVersion") == 1 and isinstance(document.get("architecture"), str):
        # Schema 1 predates multi-OS images: Linux is the only OS it was used for.
        return Manifest(kind or DOCKER_V1, False, (Platform("linux", normalize_arch(document["architecture"]) or "unknown"),))
    raise ManifestError(f"unsupported manifest ({kind or 'no mediaType'})")


def platform_from_config(blob: str | bytes | Mapping) -> Platform:
    """The image config blob's architecture, os, variant and os.version."""
    try:
        document = json.loads(blob) if isinstance(blob, (str, bytes)) else blob
    except ValueError as error:
        raise ManifestError("image config is not JSON") from error
    if not isinstance(document, dict) or not document.get("architecture"):
        raise ManifestError("image config has no architecture")
    return Platform.from_dict(document)


@dataclass(frozen=True, slots=True)
class EcrImage:
    """An image in Amazon ECR, by digest when known."""

    registry: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def reference(self) -> str:
        """What BatchGetImage's imageIds wants: the digest if known, else the tag (latest by default)."""
        return self.digest or self.tag or "latest"


def ecr_image(image: str | None, digest: str | None = None) -> EcrImage | None:
    """Parse an ECR image reference; None for any other registry (Docker Hub, GHCR, public.ecr.aws...)."""
    if not image:
        return None
    match = _ECR.match(image.strip())
    if not match:
        return None
    found = digest if isinstance(digest, str) and digest.startswith("sha256:") else match["digest"]
    return EcrImage(match["registry"], match["region"], match["repository"], match["tag"], found)


@dataclass(frozen=True, slots=True)
class TaskPlatform:
    """Where the task ran: OS, CPU architecture and how we know it."""

    os: str
    architecture: str | None
    source: str
    windows_build: str | None = None


def task_platform(attributes: Mapping[str, str], task_definition: Mapping | None, launch_type: str | None) -> TaskPlatform:
    """The task's CPU architecture: the ecs.cpu-architecture attribute, else the task definition's
    runtimePlatform.cpuArchitecture, else the launch type's default.

    Fargate runs X86_64 when runtimePlatform is not set (ARM64 must be asked for):
    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-arm-specifying.html and
    https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RuntimePlatform.html. An EC2 or
    EXTERNAL task runs on whatever its instance is, so it has no default.
    """
    runtime = (task_definition or {}).get("runtimePlatform") or {}
    family = str(runtime.get("operatingSystemFamily") or "LINUX").upper()
    os_name = "windows" if family.startswith("WINDOWS") else "linux"
    build = WINDOWS_BUILDS.get(family)
    attribute = normalize_arch(attributes.get("ecs.cpu-architecture"))
    if attribute:
        return TaskPlatform(os_name, attribute, "task attribute ecs.cpu-architecture", build)
    declared = normalize_arch(runtime.get("cpuArchitecture"))
    if declared:
        return TaskPlatform(os_name, declared, "task definition runtimePlatform.cpuArchitecture", build)
    if (launch_type or "").upper() == "FARGATE":
        return TaskPlatform(os_name, "x86_64", "Fargate default (no runtimePlatform.cpuArchitecture)", build)
    return TaskPlatform(os_name, None, "unknown (EC2 task without the ecs.cpu-architecture attribute)", build)


@dataclass(frozen=True, slots=True)
class PlatformVerdict:
    """The comparison of an image's platforms with the task's."""

    mismatch: bool
    evidence: str


def compare(platforms: Sequence[Platform], task: TaskPlatform) -> PlatformVerdict | None:
    """A mismatch when no runnable platform of the image fits the task; None when undecidable."""
    runnable = [p for p in platforms if not p.is_unknown]
    if not runnable or task.architecture is None:
        return None
    offered = ", ".join(dict.fromkeys(str(p) for p in runnable))
    where = (f"{task.os}/" if task.os != "linux" else "") + task.architecture + (f" ({task.source})" if task.source else "")
    same_arch = [p for p in runnable if p.os == task.os and p.architecture == task.architecture]
    if not same_arch:
        noun = "image is" if len(runnable) == 1 else "image offers only"
        return PlatformVerdict(True, f"{noun} {offered}; the task ran on {where}")
    if task.os == "windows" and task.windows_build:
        fitting = [p for p in same_arch if not p.os_version or _build(p.os_version) == task.windows_build]
        if not fitting:
            return PlatformVerdict(True, f"image is {offered}; the task ran on Windows build {task.windows_build}, "
                                         "and Windows containers need the host's build")
    return PlatformVerdict(False, f"image offers {offered}, which fits the task's {task.os}/{task.architecture}")


def _build(os_version: str) -> str:
    return ".".join(os_version.split(".")[:3])
