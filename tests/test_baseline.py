import torch

from heareval import baseline


def test_api_contract_shapes_dtypes_timestamps():
    model = baseline.load_model()
    assert isinstance(model, torch.nn.Module)
    assert model.sample_rate == 16000
    audio = torch.rand(3, 16000 * 2) * 2 - 1
    embeddings, timestamps = baseline.get_timestamp_embeddings(audio, model)
    assert embeddings.shape == (3, 41, model.timestamp_embedding_size) and embeddings.dtype == torch.float32
    assert timestamps.shape == (3, 41) and timestamps.dtype == torch.float32
    assert torch.equal(timestamps[0, :3], torch.tensor([0.0, 50.0, 100.0]))
    assert (torch.diff(timestamps, dim=1) > 0).all()
    scene = baseline.get_scene_embeddings(audio, model)
    assert scene.shape == (3, model.scene_embedding_size) and torch.isfinite(scene).all()


def test_timestamps_do_not_drift_over_long_files():
    model = baseline.load_model()
    _, timestamps = baseline.get_timestamp_embeddings(torch.zeros(1, 16000 * 120), model)
    assert timestamps[0, -1].item() == 120000.0
    assert timestamps.shape[1] == 2401


def test_deterministic_and_batch_independent():
    audio = torch.rand(4, 8000) * 2 - 1
    first = baseline.get_scene_embeddings(audio, baseline.load_model())
    second = baseline.get_scene_embeddings(audio, baseline.load_model())
    assert torch.equal(first, second)
    single = baseline.get_scene_embeddings(audio[2:3], baseline.load_model())
    assert torch.allclose(single[0], first[2], atol=1e-5)


def test_load_model_reads_a_state_dict_with_weights_only(tmp_path):
    model = baseline.load_model()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["projection"] = state["projection"] * 2
    torch.save(state, tmp_path / "weights.pt")
    loaded = baseline.load_model(str(tmp_path / "weights.pt"))
    assert torch.equal(loaded.projection, state["projection"])


def test_load_model_refuses_pickled_objects(tmp_path):
    import datetime

    import pytest

    torch.save({"projection": torch.zeros(1), "extra": datetime.datetime(2021, 1, 1)}, tmp_path / "evil.pt")
    with pytest.raises(Exception, match="(?i)weights_only|unsupported|global"):
        baseline.load_model(str(tmp_path / "evil.pt"))


def test_runs_on_cpu_without_gpu():
    model = baseline.load_model()
    assert model.projection.device.type == "cpu"
