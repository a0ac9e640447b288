import os

from training import layer_speed

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_every_convolution_of_net0_gets_a_rate_and_the_times_add_up():
    model = layer_speed.style_network(os.path.join(ROOT, "models", "candy-imagenet"))
    import torch
    with torch.no_grad():
        rows = layer_speed.operator_times(model, torch.rand(1, 3, 64, 96), frames=1)
    convs = {k: v for k, v in rows.items() if k[0] == "aten::conv2d"}
    # 3 encoder convs before the residual blocks, 10 in them, 2 upsampling layers, the RGB layer
    assert sum(v[0] for v in convs.values()) == 16
    assert all(v[2] > 0 and v[1] > 0 for v in convs.values())
    text = layer_speed.table(rows, ref=100.0)
    assert "aten::native_batch_norm" in text or "aten::instance_norm" in text
    *_, all_row, conv_row = text.splitlines()
    total = float(all_row.split("|")[4].strip(" *"))
    assert abs(total - sum(v[1] for v in rows.values())) < 0.11
    conv_ms = float(conv_row.split("|")[4].strip(" *"))
    assert abs(conv_ms - sum(v[1] for v in convs.values())) < 0.11
    # the same GFLOP in less time: the ceiling is above the whole network's rate
    assert float(conv_row.split("|")[6]) > float(all_row.split("|")[6])
