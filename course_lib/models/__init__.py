"""The models: pure ``nn.Module``s and their mathematics, one module per family, each with its training task.

* :mod:`.gan` — chapter 2: GAN losses, the alternating training step, the 2-D ring of Gaussians
* :mod:`.vae` — chapter 3: MLP and convolutional VAEs, the ELBO, the IWAE bound
* :mod:`.gpt` — chapter 4: a tiny decoder-only Transformer, sampling
* :mod:`.classifier` — chapter 5: the MNIST classifier used as a measuring instrument
* :mod:`.dcgan` — chapter 5: a DCGAN for MNIST
* :mod:`.diffusion` — chapter 7: DDPM/DDIM diffusion with a small U-Net, classifier-free guidance

Each trainable model has a :class:`course_lib.training.Task` here and an entry in :mod:`course_lib.registry`.
"""
