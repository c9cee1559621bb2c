"""DBLoss and its parts: hand-computed values, OHEM, behaviour near the targets, errors, and learning."""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np
import paddle
import pytest

from ppocr.losses import build_loss
from ppocr.losses.det_basic_loss import BalanceLoss, BCELoss, DiceLoss, MaskL1Loss
from ppocr.losses.det_db_loss import DBLoss
from ppocr.modeling import build_model
from ppocr.utils.errors import ConfigError, DataError

T = paddle.to_tensor


def _targets(h=64, w=64, rects=((12, 20, 52, 40),), batch=1):
    """DB-style label maps for axis-aligned text boxes (x0, y0, x1, y1): a shrunk core, a border band."""
    shrink = np.zeros((h, w), np.float32)
    band = np.zeros((h, w), np.uint8)
    for x0, y0, x1, y1 in rects:
        cv2.rectangle(shrink, (x0 + 4, y0 + 4), (x1 - 4, y1 - 4), 1.0, thickness=-1)
        cv2.rectangle(band, (x0 - 4, y0 - 4), (x1 + 4, y1 + 4), 1, thickness=-1)
        cv2.rectangle(band, (x0 + 4, y0 + 4), (x1 - 4, y1 - 4), 0, thickness=-1)
    thresh = np.where(band > 0, 0.7, 0.3).astype(np.float32)
    maps = {"shrink_map": shrink, "shrink_mask": np.ones((h, w), np.float32),
            "threshold_map": thresh, "threshold_mask": band.astype(np.float32)}
    return {k: T(np.repeat(v[None], batch, axis=0)) for k, v in maps.items()}


def _preds_towards(batch, t, seed=0):
    """Maps (P, T, B) that interpolate from random (t=0) to the targets (t=1), kept inside (0, 1)."""
    rng = np.random.default_rng(seed)
    target = np.stack([batch["shrink_map"].numpy(), batch["threshold_map"].numpy(), batch["shrink_map"].numpy()], 1)
    noise = rng.uniform(0, 1, target.shape).astype(np.float32)
    return {"maps": T(np.clip((1 - t) * noise + t * target, 1e-4, 1 - 1e-4))}


def test_dice_l1_bce_values():
    pred = T([[0.9, 0.2], [0.6, 0.1]])
    gt = T([[1.0, 0.0], [1.0, 0.0]])
    mask = T([[1.0, 1.0], [0.0, 1.0]])
    # Dice over the masked pixels (0.9, 0.2, 0.1) vs (1, 0, 0): 1 - 2 * 0.9 / (1.2 + 1)
    assert float(DiceLoss()(pred, gt, mask)) == pytest.approx(1 - 1.8 / 2.2, rel=1e-5)
    assert float(MaskL1Loss()(pred, gt, mask)) == pytest.approx((0.1 + 0.2 + 0.1) / 3, rel=1e-5)
    bce = BCELoss(reduction="none")(pred, gt).numpy()
    np.testing.assert_allclose(bce, -np.log([[0.9, 0.8], [0.6, 0.9]]), rtol=1e-5)
    assert float(DiceLoss()(pred, gt, paddle.zeros([2, 2]))) == pytest.approx(1.0)  # all masked out
    assert float(MaskL1Loss()(pred, gt, paddle.zeros([2, 2]))) == 0.0


def test_balance_loss_ohem_keeps_the_hardest_negatives():
    pred = np.array([[0.7, 0.1, 0.8, 0.3, 0.6, 0.2]], np.float32)
    gt = np.array([[1, 0, 0, 0, 0, 0]], np.float32)
    mask = np.array([[1, 1, 1, 1, 0, 1]], np.float32)  # the 0.6 negative is masked out
    bce = -(gt * np.log(pred) + (1 - gt) * np.log(1 - pred))
    # 1 positive, ratio 2 -> the 2 negatives with the highest loss among the unmasked ones: 0.8 and 0.3
    want = (bce[0, 0] + bce[0, 2] + bce[0, 3]) / 3
    got = BalanceLoss(main_loss_type="BCELoss", negative_ratio=2)(T(pred), T(gt), T(mask))
    assert float(got) == pytest.approx(want, rel=1e-5)
    # without mining: the mean over the masked pixels
    plain = BalanceLoss(balance_loss=False, main_loss_type="BCELoss")(T(pred), T(gt), T(mask))
    assert float(plain) == pytest.approx((bce * mask).sum() / mask.sum(), rel=1e-5)
    # more negatives allowed than there are: all 4 unmasked negatives
    every = BalanceLoss(main_loss_type="BCELoss", negative_ratio=10)(T(pred), T(gt), T(mask))
    assert float(every) == pytest.approx((bce * mask).sum() / 5, rel=1e-5)


def test_balance_loss_scalar_main_losses_and_no_text():
    pred, gt, mask = paddle.rand([1, 8, 8]), (paddle.rand([1, 8, 8]) > 0.5).astype("float32"), paddle.ones([1, 8, 8])
    for name, plain in (("DiceLoss", DiceLoss()), ("MaskL1Loss", MaskL1Loss())):
        balanced = BalanceLoss(main_loss_type=name)(pred, gt, mask)
        assert float(balanced) == pytest.approx(float(plain(pred, gt, mask)), rel=1e-5)
    no_text = paddle.zeros([1, 8, 8])
    for name in BalanceLoss.MAIN_LOSSES:
        x = paddle.rand([1, 8, 8])
        x.stop_gradient = False
        loss = BalanceLoss(main_loss_type=name)(x, no_text, mask)
        assert float(loss) == 0.0  # as DB: a crop without text adds no shrink-map loss
        loss.backward()  # still part of the graph
    with pytest.raises(ValueError, match="DiceLoss"):
        BalanceLoss(main_loss_type="FocalLoss")


@pytest.mark.parametrize("main_loss_type", ["DiceLoss", "BCELoss", "MaskL1Loss"])
def test_db_loss_decreases_towards_the_targets(main_loss_type):
    batch = _targets(batch=2, rects=((12, 20, 52, 40), (4, 4, 30, 14)))
    loss_fn = DBLoss(main_loss_type=main_loss_type)
    values = []
    for t in (0.0, 0.5, 0.9, 1.0):
        out = loss_fn(_preds_towards(batch, t), batch)
        assert set(out) == {"loss", "loss_shrink_maps", "loss_threshold_maps", "loss_binary_maps"}
        assert all(np.isfinite(float(v)) and v.ndim == 0 for v in out.values())
        total = float(out["loss_shrink_maps"]) + float(out["loss_threshold_maps"]) + float(out["loss_binary_maps"])
        assert float(out["loss"]) == pytest.approx(total, rel=1e-5)
        values.append(float(out["loss"]))
    assert values == sorted(values, reverse=True) and values[-1] < 0.05 * values[0], values


def test_db_loss_weights():
    batch = _targets()
    preds = _preds_towards(batch, 0.3)
    base = DBLoss(alpha=1, beta=1)(preds, batch)
    weighted = DBLoss(alpha=5, beta=10)(preds, batch)
    assert float(weighted["loss_shrink_maps"]) == pytest.approx(5 * float(base["loss_shrink_maps"]), rel=1e-5)
    assert float(weighted["loss_threshold_maps"]) == pytest.approx(10 * float(base["loss_threshold_maps"]), rel=1e-5)
    assert float(weighted["loss_binary_maps"]) == pytest.approx(float(base["loss_binary_maps"]), rel=1e-5)


def test_db_loss_errors():
    batch = _targets()
    preds = _preds_towards(batch, 0.5)
    with pytest.raises(DataError, match="threshold_mask"):
        DBLoss()(preds, {k: v for k, v in batch.items() if k != "threshold_mask"})
    with pytest.raises(DataError, match="eval-mode"):
        DBLoss()({"maps": preds["maps"][:, :1]}, batch)
    with pytest.raises(DataError, match="multiples of 32"):
        DBLoss()({"maps": preds["maps"][:, :, :32]}, batch)
    with pytest.raises(ConfigError, match="main_loss_type"):
        build_loss({"name": "DBLoss", "main_loss_type": "Dice"})
    with pytest.raises(ConfigError, match="ohem_ratio"):
        build_loss({"name": "DBLoss", "ohem_ratio": -1})
    with pytest.raises(ConfigError, match="ohem_ratio"):
        build_loss({"name": "DBLoss", "ohem_rate": 3})


@pytest.mark.parametrize("main_loss_type", ["DiceLoss", "BCELoss"])
def test_sgd_steps_reduce_db_loss(main_loss_type):
    paddle.seed(0)
    model = build_model({"model_type": "det", "algorithm": "DB",
                         "Backbone": {"name": "MobileNetV3", "model_name": "small", "scale": 0.35, "disable_se": True},
                         "Neck": {"name": "DBFPN", "out_channels": 16}, "Head": {"name": "DBHead", "k": 50}})
    batch = _targets()
    image = np.full((64, 64, 3), 0.8, np.float32)
    cv2.rectangle(image, (12, 20), (52, 40), (0.1, 0.1, 0.1), thickness=-1)  # a dark "word"
    batch["image"] = T(image.transpose(2, 0, 1)[None])
    loss_fn = build_loss({"name": "DBLoss", "main_loss_type": main_loss_type})
    opt = paddle.optimizer.Momentum(learning_rate=0.02, momentum=0.9, parameters=model.parameters())
    losses = []
    for _ in range(10):
        loss = loss_fn(model(batch), batch)["loss"]
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0], losses
