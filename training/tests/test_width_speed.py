from training import width_speed


def test_the_full_width_network_has_about_four_times_the_weights_of_the_half_one():
    nets = width_speed.style_networks()
    ratio = width_speed.parameters(nets["full"]) / width_speed.parameters(nets["half"])
    assert 3.5 < ratio < 4.1   # channels doubled: most weights are channels x channels


def test_width_speed_reports_both_widths_in_both_precisions(capsys):
    width_speed.main(["--size", "32x32", "--threads", "1", "--rounds", "1", "--calls", "1"])
    out = capsys.readouterr().out
    assert "| half |" in out and "| full |" in out
    assert "full / half, float32:" in out and "full / half, bfloat16:" in out
