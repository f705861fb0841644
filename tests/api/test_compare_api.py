

def test_the_cli_offers_the_topics_the_core_compares():
    from calculator.cli.compare import TOPICS as offered
    from calculator.rules.compare import TOPICS
    assert set(offered) == set(TOPICS)
