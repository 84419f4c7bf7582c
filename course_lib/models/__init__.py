"""The models: pure ``nn.Module``s and their mathematics, one module per family, each with its training task.

* :mod:`.gan` — chapter 2: GAN losses, the alternating training step, the 2-D ring of Gaussians
* :mod:`.vae` — chapter 3: how a VAE is trained, evaluated and loaded; the MLP and convolutional VAEs, the ELBO
  and the IWAE bound are :mod:`.vae_model` (re-exported by :mod:`.vae`)
* :mod:`.gpt` — chapter 4: a tiny decoder-only Transformer, sampling
* :mod:`.classifier` — chapter 5: the MNIST classifier used as a measuring instrument
* :mod:`.dcgan` — chapter 5: a DCGAN for MNIST
* :mod:`.diffusion` — chapter 7: the mathematics of DDPM/DDIM diffusion; beside it, as in ``diffusers``,
  :mod:`.diffusion_sampler` (the schedule, the training loss and the one sampling loop, with classifier-free
  guidance), :mod:`.diffusion_unet` (the ε-network), :mod:`.diffusion_toy` (the 2-D toy) and
  :mod:`.diffusion_task` (its training task and checkpoint loaders)

Each trainable model has a :class:`course_lib.training.Task` here and an entry in :mod:`course_lib.registry`.
"""
