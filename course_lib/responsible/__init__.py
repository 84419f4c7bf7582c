"""Responsible generation: chapter 1's tools and chapter 6's lab, where the book audits its own models.

* :mod:`.privacy` — memorisation by nearest-neighbour distance and the Laplace mechanism (chapter 1).
* :mod:`.watermark` — a keyed image watermark found again by correlation (chapter 1).
* :mod:`.membership` — ROC curve, AUC and TPR at a fixed FPR; the loss-threshold attack (Yeom et al. 2018) on a
  VAE's per-image −ELBO and the LOGAN discriminator attack (Hayes et al. 2019) on a DCGAN.
* :mod:`.canary` — inserted secrets and their exposure (Carlini et al. 2019, *The Secret Sharer*), computed
  exactly over the whole candidate space, and greedy extraction.
* :mod:`.text_watermark` — a keyed green-list watermark in the GPT's sampler and its one-sided z-test
  (Kirchenbauer et al. 2023).
* :mod:`.labels` — explicit (visible) and implicit (PNG metadata) labels of generated images as China's
  labelling measures require, and what survives copying, re-encoding, cropping and resampling.
* :mod:`.detector` — a small CNN that tells real digits from generated ones.
* :mod:`.dp` — DP-SGD with Opacus for the MLP VAE.
* :mod:`.dp_audit` — an empirical lower bound on ε from an attack's scores (Clopper–Pearson, Jagielski et al. 2020;
  one training run, Steinke et al. 2023), set beside the accountant's upper bound.
* :mod:`.audit` — the ``"audit"`` section of every generative model's card, filled by code from the measurements
  above (``python -m course_lib audit NAME`` or ``--all``): :mod:`.audit_images` measures an image generator,
  :mod:`.audit_text` a GPT, :mod:`.audit_words` says the section in English or Chinese.
"""
