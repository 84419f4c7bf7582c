"""Responsible generation: memorisation and differential privacy (:mod:`.privacy`), image watermarks
(:mod:`.watermark`)."""
