"""What the engine expects of models, post-processors, losses and metrics, written down as protocols.

Required parts are attributes every component has (a model's ``input_keys``). Optional
capabilities are small protocols: the engine asks ``isinstance(model, OwnCheckpoints)`` rather than
probing for method names, and the accessors below give the documented default when a component
leaves an optional attribute out. Out-of-tree components (``Global.custom_imports``) implement the
same protocols.
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from ppocr.utils.errors import ConfigError


@runtime_checkable
class Model(Protocol):
    """``model(batch)`` takes the whole batch dict and reads its ``input_keys``; in training mode it may
    return a dict for the loss, in eval mode what the post-processor decodes."""

    #: batch keys the model reads, in the order an exported model takes them (det/rec: ``["image"]``)
    input_keys: list[str]

    def __call__(self, batch: dict) -> Any: ...


@runtime_checkable
class PostProcessor(Protocol):
    """``post(preds, *[batch[k] for k in eval_keys])`` returns per-sample results.

    Optional class attributes: ``eval_keys`` (batch keys for evaluation, default ``("label",)``),
    ``infer_keys`` (batch keys needed at inference, e.g. DB's ``("shape_list",)``, default ``()``) and
    ``key_aliases`` (other names a config may keep a key under: DB takes PaddleOCR's ``shape`` for
    ``shape_list``, as its Eval ``KeepKeys`` lists it).
    """

    def __call__(self, preds: Any, *args: Any) -> Any: ...


@runtime_checkable
class CharacterDecoder(Protocol):
    """A decoder over a character list (CTC): its length is the model's output size, and export
    writes it into ``inference.yml``. Index 0 is the blank."""

    character: list[str]


@runtime_checkable
class LabelListCoder(Protocol):
    """A label encoder or decoder over a list of class names (``Global.label_list``, e.g. ``['0', '180']``):
    class ``i`` is ``label_list[i]``. ``None`` names the classes by their index."""

    label_list: list[str] | None


@runtime_checkable
class ExportsItsConfig(Protocol):
    """A post-processor that needs more than its config at serving time (e.g. its codec)."""

    def export_config(self) -> dict[str, Any]: ...


@runtime_checkable
class SavesOwnCheckpoints(Protocol):
    """A model that writes its own checkpoint layout (e.g. a model directory plus ``prefix.pdopt``)."""

    def save_checkpoint(self, prefix: str, optimizer, states: dict) -> None: ...

    def load_checkpoint(self, prefix: str, optimizer=None) -> dict: ...


@runtime_checkable
class LoadsOwnWeights(Protocol):
    """A model that reads its own weight files for evaluation, export and inference."""

    def load_weights(self, path: str) -> None: ...


@runtime_checkable
class BuiltFromCheckpoint(Protocol):
    """A model built from a checkpoint its config names (e.g. ``Architecture.Backbone.checkpoints``)."""

    #: that checkpoint, or None
    checkpoint_path: str | None
    #: the config key that names it, for messages
    checkpoint_option: str


@runtime_checkable
class SignatureFromTransforms(Protocol):
    """A model whose export signature follows from the Eval transforms (token models: sequence lengths)."""

    def input_spec_from_transforms(self, transforms: list) -> list: ...


@runtime_checkable
class ExportsSubModel(Protocol):
    """A model of several models (``DistillationModel``) of which export writes one, in a folder named after it."""

    def export_target(self) -> tuple[str, Any]: ...


@runtime_checkable
class DecodesSubModels(Protocol):
    """A post-processor that decodes several models' outputs (``{name: output}``) with one single-model
    post-processor, ``base``; export writes ``base_config()`` as the exported model's ``PostProcess``."""

    base: Any

    def base_config(self) -> dict[str, Any]: ...


@runtime_checkable
class HasBackbone(Protocol):
    """A model whose lower layers can be frozen (``Global.freeze_backbone``)."""

    def backbone_parameters(self) -> list: ...


@runtime_checkable
class Reparameterizable(Protocol):
    """A layer with a training form and a fused inference form (PPLCNetV3's ``LearnableRepLayer``: its branches
    folded into one conv with bias). Export calls ``rep()`` on every such sublayer that ``is_repped`` is False for;
    ``load_fused(weight, bias)`` is the inverse, used to import a released inference model: it sets the unfused
    layer so that it computes that conv exactly, in eval mode and in training (where it then learns from it)."""

    #: True once ``rep()`` has run
    is_repped: bool

    def rep(self) -> None: ...

    def load_fused(self, weight, bias) -> None: ...


@runtime_checkable
class IndexesBatches(Protocol):
    """A batch sampler that can say which samples batch ``i`` of the current epoch holds (for the NaN log)."""

    def batch_indices(self, i: int) -> list[int]: ...


@runtime_checkable
class LocatesSamples(Protocol):
    """A dataset that names where sample ``idx`` comes from (``file:line``)."""

    def location(self, idx: int) -> str: ...


def batch_locations(loader):
    """``i -> ['file:line', ...]`` for batch ``i`` of ``loader``'s current epoch, or None when it cannot say."""
    sampler, dataset = getattr(loader, "batch_sampler", None), getattr(loader, "dataset", None)
    if not (isinstance(sampler, IndexesBatches) and isinstance(dataset, LocatesSamples)):
        return None
    return lambda i: [dataset.location(j) for j in sampler.batch_indices(i)]


@runtime_checkable
class WritesReport(Protocol):
    """A metric with a full report that evaluation writes beside the weights."""

    def write_report(self, path: str) -> None: ...


def eval_keys(post) -> tuple[str, ...]:
    """The batch keys evaluation passes to ``post`` (default ``("label",)``)."""
    return tuple(getattr(post, "eval_keys", ("label",)))


def infer_keys(post) -> tuple[str, ...]:
    """The batch keys ``post`` needs at inference (default none)."""
    return tuple(getattr(post, "infer_keys", ()))


def post_args(post, batch: dict, keys: tuple[str, ...], where: str = "Eval.dataset.transforms") -> list:
    """The values the post-processor gets: ``batch[k]`` for each key, by its name or one of ``key_aliases``.

    Raises:
        ConfigError: a key is in the batch under none of its names.
    """
    aliases = getattr(post, "key_aliases", {})
    out = []
    for key in keys:
        name = next((n for n in (key, *aliases.get(key, ())) if n in batch), None)
        if name is None:
            names = " or ".join(repr(n) for n in (key, *aliases.get(key, ())))
            raise ConfigError(f"{type(post).__name__} needs the batch key {names}, which the data does not carry; "
                              f"keep it in {where} (KeepKeys keep_keys), got {sorted(batch)}")
        out.append(batch[name])
    return out


def input_keys(model) -> tuple[str, ...]:
    """The batch keys ``model`` reads (``Model.input_keys``)."""
    return tuple(model.input_keys)


def takes(loss_fn, what: str) -> bool:
    """Whether a loss declares it handles ``what``: ``"aux"`` (``takes_aux``: adds the auxiliary head's loss)
    or ``"sample_weight"`` (``takes_sample_weight``: multiplies each sample's loss by ``batch['sample_weight']``)."""
    return bool(getattr(loss_fn, f"takes_{what}", False))
