from bench.hub import CORRECT, WAVE_SECONDS, expected_score, percentile, wave


def test_the_wave_fits_the_window_and_mixes_right_wrong_and_second_tries():
    students = [f"s{i:02d}" for i in range(30)]
    plans = wave(students)
    assert [p.student for p in plans] == students
    assert all(0 <= p.at <= WAVE_SECONDS for p in plans)
    assert max(p.at + p.gap * (len(p.answers) - 1) for p in plans) <= WAVE_SECONDS
    twice = [p for p in plans if len(p.answers) == 2]
    assert twice and all(not p.answers[0].startswith(CORRECT) for p in twice)
    assert {expected_score(p) for p in plans} == {0.0, 2.0}
    assert all(f"# by {p.student}" in p.answers[-1] for p in plans)


def test_percentile_is_nearest_rank():
    values = list(range(1, 21))
    assert percentile(values, 50) == 10
    assert percentile(values, 95) == 19
    assert percentile(values, 100) == 20
    assert percentile([7.0], 95) == 7.0
