"""Pure ``nn.Module``s and their mathematics (chapter 7: :mod:`course_lib.models.diffusion`)."""
