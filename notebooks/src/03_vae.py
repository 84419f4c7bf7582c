"""Chapter 3: VAEs, the mathematics — every formula followed by a cell that checks it."""
from twins import code, md, objectives, solution

CELLS = [
    # ------------------------------------------------------------------------------------------ intro
    md(
        en=r"""
        # 3 · VAEs: the mathematics

        A **variational autoencoder** (VAE) {cite:p}`kingma2014vae,rezende2014stochastic` is a generative model
        with a hidden, *latent* variable $z$: draw $z$ from a simple prior, then draw an image $x$ from a
        distribution whose parameters a neural network computes from $z$. This chapter derives everything a VAE
        is made of and **checks each formula numerically** as soon as it is stated:

        1. the latent-variable model, and why its posterior $p(z\mid x)$ is intractable;
        2. the evidence lower bound (ELBO), derived two ways, and its gap measured on a model where
           $\log p(x)$ is known exactly;
        3. the closed-form KL divergence to $\mathcal N(0, I)$, against a Monte Carlo estimate;
        4. the reparameterisation trick, and its gradient variance measured against the score-function
           (REINFORCE) estimator;
        5. Bernoulli or Gaussian likelihood, and what the weight $\beta$ of the KL term does;
        6. a VAE with a 2-D latent space on the offline MNIST digits: the latent map, interpolations, samples and
           an interactive explorer;
        7. the importance-weighted bound, a tighter estimate of $\log p(x)$ {cite:p}`burda2016iwae`, compared
           with the ELBO and with $\log p(x)$ itself on held-out digits;
        8. the prior hole: why samples from $\mathcal N(0, I)$ look worse than the model can draw, and a prior
           fitted after training that draws where the decoder was trained.

        The models and losses are those of `course_lib.models.vae`, the same code that chapter 5 trains on a GPU.
        """,
        zh=r"""
        # 3 · 变分自编码器的数学

        **变分自编码器**（VAE）{cite:p}`zh-kingma2014vae,zh-rezende2014stochastic` 是一种带有未观测变量——*潜变量* $z$——的生成模型：
        先从一个简单的先验中抽取 $z$，再从一个分布中抽取图像 $x$，而这个分布的参数由神经网络根据 $z$ 算出。
        本章推导 VAE 的每一个组成部分，并且每写下一个公式，就**立即用数值计算验证它**：

        1. 潜变量模型，以及为什么它的后验 $p(z\mid x)$ 难以计算；
        2. 证据下界（ELBO）的两种推导，并在一个 $\log p(x)$ 可以精确求出的模型上度量它与 $\log p(x)$ 的差距；
        3. 与 $\mathcal N(0, I)$ 之间 KL 散度的闭式解，并与蒙特卡洛估计对照；
        4. 重参数化技巧，以及实测它的梯度方差与得分函数（REINFORCE）估计量相比如何；
        5. 伯努利似然还是高斯似然，以及 KL 项的权重 $\beta$ 起什么作用；
        6. 在离线 MNIST 数字上训练的二维潜空间 VAE：潜空间分布图、插值、采样，以及一个可交互的潜空间浏览器；
        7. 重要性加权下界——对 $\log p(x)$ 更紧的估计 {cite:p}`zh-burda2016iwae`——在留出数字上与 ELBO 以及 $\log p(x)$ 本身的比较；
        8. 先验空洞：为什么从 $\mathcal N(0, I)$ 抽出的样本比模型本来能画的差，以及一个训练后拟合、只在解码器受过训练之处抽样的先验。

        文中的模型与损失函数都来自 `course_lib.models.vae`，第 5 章在 GPU 上训练的也正是这份代码。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            r"state a latent-variable model, and explain why its posterior $p(z \mid x)$ is intractable;",
            r"derive the ELBO two ways: by Jensen's inequality and from $\log p(x) = \mathrm{ELBO} + \mathrm{KL}(q \,\|\, p(z \mid x))$;",
            r"compute the KL divergence of a diagonal Gaussian to $\mathcal N(0, I)$ in closed form, and check it by Monte Carlo;",
            "explain the reparameterisation trick, and measure why its gradients vary less than the score-function estimator's;",
            "choose between a Bernoulli and a Gaussian likelihood, and read what β does to a VAE;",
            r"estimate $\log p(x)$ with the importance-weighted bound, and say how far the ELBO lies below it;",
            "explain the prior hole, and judge a prior fitted after training by its samples and by its likelihood bound.",
        ],
        zh=[
            r"写出潜变量模型，并解释为什么它的后验 $p(z \mid x)$ 难以计算；",
            r"用两种方法推导证据下界（ELBO）：詹森不等式，以及 $\log p(x) = \mathrm{ELBO} + \mathrm{KL}(q \,\|\, p(z \mid x))$；",
            r"求出对角高斯分布到 $\mathcal N(0, I)$ 的 KL 散度的闭式解，并用蒙特卡洛方法验证；",
            "解释重参数化技巧，并通过测量说明它的梯度方差为什么比得分函数估计量小；",
            "在伯努利似然与高斯似然之间做出选择，并读懂 β 对变分自编码器的影响；",
            r"用重要性加权下界估计 $\log p(x)$，并说明 ELBO 比它低多少；",
            "解释先验空洞，并从样本和似然下界两方面评判一个训练后拟合的先验。",
        ],
        chapters=(0, 1),
        maths_en="Bayes' rule, the Gaussian density, expectations and Monte Carlo estimates, Jensen's inequality, the gradient of an expectation.",
        maths_zh="贝叶斯公式、高斯密度、期望与蒙特卡洛估计、詹森不等式、期望的梯度。",
    ),
    code(
        """
        import math
        from pathlib import Path

        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        from torch.distributions import Normal

        import course_lib
        from course_lib import load_offline_mnist, show_images
        from course_lib.models.vae import (MLPVAE, LinearGaussianVAE, evaluate_vae, gaussian_kl, iwae_bound, load_vae,
                                    log_likelihood, negative_elbo, reparameterize, train_vae)
        from course_lib.plotting import slider_figure
        # en: gen(seed): a private random generator: each cell's randomness does not depend on the cells before it
        # zh: gen(seed)：私有的随机数生成器：每个单元格的随机性不受之前单元格的影响
        from course_lib.seed import make_generator as gen

        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        # en: 4,000 digits, (N, 1, 28, 28) in [0, 1]
        # zh: 4,000 个数字，形状 (N, 1, 28, 28)，取值在 [0, 1] 内
        x_train, y_train = load_offline_mnist("train")
        # en: 1,000 digits, used only for evaluation
        # zh: 1,000 个数字，只用于评估
        x_held, y_held = load_offline_mnist("heldout")
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    # ---------------------------------------------------------------------------------- gallery
    md(
        en=r"""
        ## Where this chapter is going

        Before the derivations, what they lead to. These digits were drawn by a deeper convolutional VAE
        (`DeepConvVAE`, the model chapter 5 trains) after one command trained it on all 60,000 training digits of
        full MNIST; the checkpoint ships with the book, so the cell runs on every machine, and its model card
        records the command, the time and the machine. Both panels come from **the same decoder and the same
        random numbers**. On the left, the latent $z$ is drawn from $\mathcal N(0, I)$, the prior the model was
        trained with; on the right, from a mixture of Gaussians fitted to the codes of the training digits
        after training. Section 3.9 explains why the right panel looks better, and proves on a 2-D model that
        the fitted prior does not buy its looks with a worse likelihood.

        The table judges the samples with chapter 5's classifier: the share of samples it assigns to one digit
        with a probability of at least 0.9, and KL(classes ‖ uniform) beside it, since a model that draws one
        digit well is no success. Each row holds several seeds of 1,000 samples, with 95% intervals over the
        seeds; `bench/recognisable.py` measured them once and stored them in the card. The last lines are the
        importance-weighted bound of section 3.8 on MNIST's 10,000 test digits under each prior, from the card.
        """,
        zh=r"""
        ## 本章要走到哪里

        推导之前，先看推导的结果。下面这些数字出自一个更深的卷积 VAE（`DeepConvVAE`，也就是第 5 章训练的模型）：
        用一条命令在完整 MNIST 的全部 60,000 张训练数字上训练而成。检查点随书附带，所以这个单元格在每台机器上都能运行；
        它的模型卡记下了训练命令、时间和机器。两幅图出自**同一个解码器、同一组随机数**。左图的潜变量 $z$ 取自 $\mathcal N(0, I)$，
        也就是训练时用的先验；右图的 $z$ 取自一个高斯混合分布——训练结束后，把它拟合到训练数字的编码上。
        右图为什么更好看，第 3.9 节会给出解释，并在一个二维模型上证明：拟合出来的先验并没有拿更差的似然去换好看的样本。

        下表用第 5 章的分类器来评判这些样本：分类器以至少 0.9 的概率判为某一个数字的样本所占的比例，旁边再给出类别分布到均匀分布的 KL 散度——
        只会把一个数字画好的模型算不上成功。每一行都是几个种子、每个种子 1,000 个样本的结果，附跨种子的 95% 置信区间；
        这些数由 `bench/recognisable.py` 测一次并存进模型卡。最后几行是第 3.8 节的重要性加权下界：在 MNIST 的 10,000 张测试数字上，
        分别在两种先验下算出，同样读自模型卡。
        """,
    ),
    code(
        """
        from course_lib.checkpoint import shipped_checkpoint
        from course_lib.evaluator import class_coverage, load_classifier, showcase_bar
        from course_lib.notebook import recognisable_table, showcase_header
        from course_lib.plotting import show_pair
        from course_lib.stats import verdict

        showcase, showcase_card = load_vae(shipped_checkpoint("deep_conv_vae_full"))
        components = showcase_card["config"]["prior_components"]
        print(showcase_header(showcase_card, T("en", "zh"), lead=T(f"{showcase_card['parameters']:,} parameters, z in {showcase.z_dim} dimensions",
                                                                   f"{showcase_card['parameters']:,} 个参数，z 为 {showcase.z_dim} 维")))
        with torch.no_grad():
            plain = showcase.sample(40, generator=gen(0), standard_prior=True)
            fitted = showcase.sample(40, generator=gen(0))
        show_pair(plain, fitted, (T("z from N(0, I), the prior it was trained with", "z 取自 N(0, I)：训练时用的先验"),
                                  T(f"z from a {components}-component mixture fitted to its codes", f"z 取自拟合其编码的 {components} 分量混合分布")))
        plt.show()

        rows = {r["prior"]: r for r in showcase_card["study"]["recognisable"]["rows"]}
        classifier, _ = load_classifier()
        draws, per_draw = rows["N(0, I)"]["draws"], f"{rows['N(0, I)']['samples']:,}"
        print(T(f"chapter 5's classifier, {draws} seeds × {per_draw} samples; 95% intervals",
                f"第 5 章的分类器，{draws} 个种子 × {per_draw} 个样本；95% 置信区间"))
        # en: the bar a showcase VAE must clear (course_lib.evaluator.SHOWCASE_BAR): recognisable >= 0.60 and all ten digits with KL <= 0.05, read off the intervals
        # zh: 展示用 VAE 要过的标准（course_lib.evaluator.SHOWCASE_BAR）：可辨认占比 >= 0.60，且十个数字齐全、KL <= 0.05，按区间来判
        table_text, ((plain_rec, _), (fitted_rec, _)) = recognisable_table(
            [(T("z from N(0, I)", "z 取自 N(0, I)"), rows["N(0, I)"]), (T("z from the fitted mixture", "z 取自拟合的混合分布"), rows["model's prior"])],
            class_coverage(x_held, classifier), bar=showcase_bar(showcase_card["kind"]), lang=T("en", "zh"))
        print(table_text)
        v = verdict(fitted_rec, plain_rec, higher_is_better=True, names=(T("the fitted mixture", "拟合的混合分布"), "N(0, I)"))
        print(T("verdict: more recognisable:", "结论：更容易辨认的是："), v.winner if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))

        m, k = showcase_card["metrics"], showcase_card["options"]["iwae_k"]
        print(T(f"-IWAE bound (k = {k}) on MNIST's test digits, nats per image:", f"MNIST 测试数字上的 -IWAE 下界（k = {k}），奈特/图像："),
              f"N(0, I) {m[f'heldout_neg_iwae_k{k}_standard_prior_nats_per_image']:.2f}" + T(", mixture ", "，混合分布 ") + f"{m[f'heldout_neg_iwae_k{k}_nats_per_image']:.2f}")
        g, lo, hi = m["heldout_iwae_gain_of_prior_nats_per_image"]
        print(T(f"the mixture's gain in the bound per test digit: {g:.2f} [{lo:.2f}, {hi:.2f}] nats (95% bootstrap interval over the digits)",
                f"混合分布使每张测试数字的下界提高：{g:.2f} [{lo:.2f}, {hi:.2f}] 奈特（对数字做自助法的 95% 置信区间）"))
        print(T("verdict: the likelihood bound is ", "结论：似然下界") + (T("higher under the mixture", "在混合分布下更高") if lo > 0 else
                                                                  T("lower under the mixture", "在混合分布下更低") if hi < 0 else T("no different", "看不出差别")))
        """
    ),
    md(
        en=r"""
        Read the table from the top: the same decoder, two ways of choosing $z$. The verdict line names the
        prior whose samples the classifier recognises more often, and the last line says whether the fitted prior
        costs likelihood or gains it. Sections 3.1–3.8 build the model and its bounds; section 3.9 takes this
        table apart on a model small enough to draw.
        """,
        zh=r"""
        从上往下读这张表：同一个解码器，两种选取 $z$ 的方式。结论一行给出哪种先验的样本更常被分类器认出来，最后一行说明拟合出来的先验
        是让似然变差了还是变好了。第 3.1–3.8 节搭起模型和它的下界；第 3.9 节在一个小到可以画出来的模型上，把这张表拆开来看。
        """,
    ),
    # --------------------------------------------------------------------------------- latent variables
    md(
        en=r"""
        ## 3.1 A latent-variable model, and why its posterior is intractable

        A VAE describes an image $x$ as the visible outcome of an unseen cause $z \in \mathbb R^d$:

        $$
        z \sim p(z) = \mathcal N(0, I), \qquad x \mid z \sim p_\theta(x \mid z).
        $$

        The **decoder** is a neural network that maps a **sampled** $z$ to the *parameters* of
        $p_\theta(x\mid z)$ — for MNIST, one Bernoulli probability per pixel. The model's probability of an image
        is an integral over every cause that could have produced it, and the **posterior** — which causes
        explain a given image — needs that integral in its denominator:

        $$
        p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz,
        \qquad
        p_\theta(z \mid x) = \frac{p_\theta(x \mid z)\, p(z)}{p_\theta(x)} .
        $$

        When the decoder is a neural network, the integral has no closed form. It can be computed numerically
        only in very low dimension: a grid of $m$ points per axis needs $m^d$ decoder calls. The posterior is
        therefore **intractable**, and so is the likelihood we would like to maximise.

        One model is the exception, and we will use it as a test bench: the **linear-Gaussian** model
        $x \mid z \sim \mathcal N(Wz + b, \sigma^2 I)$. There everything is Gaussian,
        $p(x) = \mathcal N(b,\, WW^\top + \sigma^2 I)$, and the posterior is
        $\mathcal N\big(SW^\top(x-b)/\sigma^2,\ S\big)$ with $S = (I + W^\top W/\sigma^2)^{-1}$.
        `LinearGaussianVAE` implements it with $x \in \mathbb R^5$ and $z \in \mathbb R^2$. With $d = 2$ we can
        still integrate by brute force over a grid, and the grid agrees with the closed form:
        """,
        zh=r"""
        ## 3.1 潜变量模型，以及为什么后验难以计算

        VAE 把一张图像 $x$ 看作某个看不见的原因 $z \in \mathbb R^d$ 所产生的可见结果：

        $$
        z \sim p(z) = \mathcal N(0, I), \qquad x \mid z \sim p_\theta(x \mid z).
        $$

        **解码器**是一个神经网络，它把一个**采样得到的** $z$ 映射为 $p_\theta(x\mid z)$ 的*参数*——对 MNIST 来说，就是每个像素一个伯努利概率。
        模型赋予一张图像的概率，是对所有可能产生它的原因求积分；而**后验**（哪些原因能解释给定的图像）的分母里正需要这个积分：

        $$
        p_\theta(x) = \int p_\theta(x \mid z)\, p(z)\, dz,
        \qquad
        p_\theta(z \mid x) = \frac{p_\theta(x \mid z)\, p(z)}{p_\theta(x)} .
        $$

        当解码器是神经网络时，这个积分没有闭式解。只有在维数很低时才能数值计算：每个坐标轴取 $m$ 个格点的网格需要调用 $m^d$ 次解码器。
        因此后验是**难以计算的**（intractable），我们想要最大化的似然也同样如此。

        只有一个模型是例外，我们把它当作试验台：**线性高斯**模型 $x \mid z \sim \mathcal N(Wz + b, \sigma^2 I)$。
        此时一切都是高斯分布：$p(x) = \mathcal N(b,\, WW^\top + \sigma^2 I)$，后验为 $\mathcal N\big(SW^\top(x-b)/\sigma^2,\ S\big)$，
        其中 $S = (I + W^\top W/\sigma^2)^{-1}$。`LinearGaussianVAE` 实现了这个模型，取 $x \in \mathbb R^5$、$z \in \mathbb R^2$。
        由于 $d = 2$，我们还能在网格上暴力积分，而网格积分的结果与闭式解一致：
        """,
    ),
    code(
        """
        g = gen(0)
        D, d, sigma = 5, 2, 0.5
        W = torch.randn(D, d, generator=g, dtype=torch.float64)
        b = torch.randn(D, generator=g, dtype=torch.float64)
        lin = LinearGaussianVAE(W, b, sigma)          # p(z) = N(0, I), p(x|z) = N(Wz + b, sigma^2 I)
        z_true = torch.randn(3, d, generator=g, dtype=torch.float64)
        # en: three observations
        # zh: 三个观测
        x_lin = z_true @ W.T + b + sigma * torch.randn(3, D, generator=g, dtype=torch.float64)

        # en: log p(x) by brute force: add up p(x|z) p(z) over a 401 x 401 grid of z (possible only because d = 2)
        # zh: 暴力计算 log p(x)：在 401 x 401 的 z 网格上累加 p(x|z) p(z)（只因 d = 2 才做得到）
        axis = torch.linspace(-6, 6, 401, dtype=torch.float64)
        Z = torch.cartesian_prod(axis, axis)
        log_prior = Normal(0.0, 1.0).log_prob(Z).sum(1)
        log_cell = 2 * math.log(float(axis[1] - axis[0]))
        with torch.no_grad():
            log_px_grid = torch.stack([torch.logsumexp(lin.log_px_given_z(x.expand(len(Z), -1), Z) + log_prior, 0)
                                       for x in x_lin]) + log_cell
            log_px = lin.log_marginal(x_lin)
        print(T("log p(x), closed form:", "log p(x)，闭式解：  "), [round(v, 6) for v in log_px.tolist()])
        print(T("log p(x), 401² grid:  ", "log p(x)，401² 网格："), [round(v, 6) for v in log_px_grid.tolist()])
        for dim in (2, 20):
            print(T(f"decoder calls for 401 grid points per axis in d = {dim}: about 10^{dim * math.log10(401):.0f}",
                    f"d = {dim} 时每轴 401 个格点所需的解码器调用次数：约 10^{dim * math.log10(401):.0f}"))
        """
    ),
    # -------------------------------------------------------------------------------------------- ELBO
    md(
        en=r"""
        ## 3.2 The evidence lower bound, derived two ways

        Since $p_\theta(z\mid x)$ is out of reach, a VAE brings in an **encoder**
        $q_\phi(z\mid x) = \mathcal N\big(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x)\big)$, a network that
        guesses the posterior, and optimises a lower bound on $\log p_\theta(x)$ instead.

        **Derivation 1 (Jensen's inequality).** Multiply and divide by $q$ inside the integral; $\log$ is
        concave, so the log of an average is at least the average of the logs:

        $$
        \log p_\theta(x) = \log \mathbb E_{q_\phi(z\mid x)}\!\left[\frac{p_\theta(x\mid z)\,p(z)}{q_\phi(z\mid x)}\right]
        \;\ge\; \mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z) + \log p(z) - \log q_\phi(z\mid x)\big]
        \;=\; \mathrm{ELBO}(x).
        $$

        **Derivation 2 (an exact identity).** Write $\log p_\theta(x) = \log p_\theta(x\mid z) + \log p(z) -
        \log p_\theta(z\mid x)$, which holds for every $z$; take the expectation under $q_\phi(z\mid x)$ and add
        and subtract $\log q_\phi(z\mid x)$:

        $$
        \log p_\theta(x) = \mathrm{ELBO}(x) + \mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x)\big).
        $$

        Derivation 2 says more than derivation 1: the **gap** between $\log p(x)$ and the ELBO is exactly the KL
        divergence from the encoder to the true posterior, so it is never negative and vanishes only when
        $q_\phi(z\mid x) = p_\theta(z\mid x)$. Grouping the ELBO's terms differently gives the form that is
        trained:

        $$
        \mathrm{ELBO}(x) = \underbrace{\mathbb E_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]}_{\text{reconstruction}}
        - \underbrace{\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{KL to the prior}},
        \qquad
        \mathcal L_{\text{VAE}}(x) = -\mathrm{ELBO}(x) = \text{reconstruction loss} + \text{KL}.
        $$

        The loss is the **negative** ELBO: a reconstruction term **plus** a KL term. On the linear-Gaussian model
        every piece has a closed form. The encoder of `LinearGaussianVAE` uses the posterior's mean but only a
        diagonal covariance, while the true posterior is correlated, so there is a small gap. We compute
        $\log p(x)$, the ELBO (closed form, and a Monte Carlo average of the integrand above), the KL to the true
        posterior, and the identity's residual:
        """,
        zh=r"""
        ## 3.2 证据下界的两种推导

        既然 $p_\theta(z\mid x)$ 求不出来，VAE 就引入一个**编码器** $q_\phi(z\mid x) = \mathcal N\big(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x)\big)$——
        一个用来猜测后验的网络——转而优化 $\log p_\theta(x)$ 的一个下界。

        **推导一（詹森不等式）。** 在积分里乘以再除以 $q$；由于 $\log$ 是凹函数，平均值的对数不小于对数的平均值：

        $$
        \log p_\theta(x) = \log \mathbb E_{q_\phi(z\mid x)}\!\left[\frac{p_\theta(x\mid z)\,p(z)}{q_\phi(z\mid x)}\right]
        \;\ge\; \mathbb E_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z) + \log p(z) - \log q_\phi(z\mid x)\big]
        \;=\; \mathrm{ELBO}(x).
        $$

        **推导二（一个恒等式）。** 对每个 $z$ 都有 $\log p_\theta(x) = \log p_\theta(x\mid z) + \log p(z) - \log p_\theta(z\mid x)$；
        在 $q_\phi(z\mid x)$ 下取期望，再加上并减去 $\log q_\phi(z\mid x)$，得到

        $$
        \log p_\theta(x) = \mathrm{ELBO}(x) + \mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x)\big).
        $$

        推导二比推导一说得更多：$\log p(x)$ 与 ELBO 之间的**差距**恰好是编码器到真实后验的 KL 散度，因此它永不为负，
        并且只有当 $q_\phi(z\mid x) = p_\theta(z\mid x)$ 时才为零。把 ELBO 的各项换一种方式组合，就得到实际训练时使用的形式：

        $$
        \mathrm{ELBO}(x) = \underbrace{\mathbb E_{q_\phi(z\mid x)}[\log p_\theta(x\mid z)]}_{\text{重构项}}
        - \underbrace{\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{到先验的 KL}},
        \qquad
        \mathcal L_{\text{VAE}}(x) = -\mathrm{ELBO}(x) = \text{重构损失} + \text{KL}.
        $$

        损失是**负的** ELBO：重构项**加上** KL 项。在线性高斯模型上，每一项都有闭式解。`LinearGaussianVAE` 的编码器使用后验的均值，
        但只用对角协方差，而真实后验的两个分量是相关的，所以存在一个小小的差距。下面计算 $\log p(x)$、ELBO（闭式解，以及对上式被积函数的蒙特卡洛平均）、
        到真实后验的 KL，以及恒等式两边之差：
        """,
    ),
    code(
        """
        n = 100_000
        with torch.no_grad():
            # en: closed form
            # zh: 闭式解
            elbo = lin.elbo(x_lin)
            # en: KL(q(z|x) || p(z|x)), closed form
            # zh: KL(q(z|x) || p(z|x))，闭式解
            kl_post = lin.kl_to_posterior(x_lin)
            mu_q, logvar_q = lin.encode(x_lin)           # (3, 2) each
            z = reparameterize(mu_q.expand(n, -1, -1), logvar_q.expand(n, -1, -1), generator=gen(1))  # (n, 3, 2)
            log_q = Normal(mu_q, (0.5 * logvar_q).exp()).log_prob(z).sum(-1)
            log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
            log_px_z = lin.log_px_given_z(x_lin.expand(n, -1, -1).reshape(-1, D), z.reshape(-1, d)).view(n, 3)
            # en: (n, 3): its mean is the ELBO
            # zh: (n, 3)：其均值就是 ELBO
            integrand = log_px_z + log_pz - log_q
        mc, se = integrand.mean(0), integrand.std(0) / math.sqrt(n)
        print(T("                     x1        x2        x3", "                     x1        x2        x3"))
        for label, row in [(T("log p(x)          ", "log p(x)          "), log_px),
                           (T("ELBO (closed form)", "ELBO（闭式解）    "), elbo),
                           (T("ELBO (Monte Carlo)", "ELBO（蒙特卡洛）  "), mc),
                           (T("  ± standard error", "  ± 标准误差      "), se),
                           (T("KL(q || p(z|x))   ", "KL(q || p(z|x))   "), kl_post)]:
            print(label, "".join(f"{v:10.4f}" for v in row.tolist()))
        # en: rounding error only (about 1e-15; its digits differ from CPU to CPU): print the bound it meets
        # zh: 只剩舍入误差（约 1e-15，其数字因 CPU 而异）：打印它满足的上界
        print(T("largest |log p(x) − ELBO − KL(q || p(z|x))| < 1e-12:", "|log p(x) − ELBO − KL(q || p(z|x))| 的最大值 < 1e-12："),
              bool((log_px - elbo - kl_post).abs().max() < 1e-12))
        """
    ),
    md(
        en=r"""
        The identity holds to rounding error, and the Monte Carlo ELBO agrees with the closed form within its
        standard error. Now move the encoder's mean away from the posterior mean: the ELBO drops, $\log p(x)$ does
        not move (it does not depend on the encoder at all), and the space between them is exactly
        $\mathrm{KL}(q\,\|\,p(z\mid x))$ — the dashed curve, computed separately, lies on the boundary of the
        shaded gap.
        """,
        zh=r"""
        恒等式在舍入误差范围内成立，蒙特卡洛 ELBO 也在其标准误差范围内与闭式解一致。现在把编码器的均值从后验均值移开：
        ELBO 随之下降，而 $\log p(x)$ 纹丝不动（它根本不依赖编码器）；两者之间的空隙恰好是 $\mathrm{KL}(q\,\|\,p(z\mid x))$——
        单独算出的虚线正好落在阴影区域的边界上。
        """,
    ),
    code(
        """
        shifts = torch.linspace(-1.5, 1.5, 61, dtype=torch.float64)
        direction = torch.tensor([1.0, -0.5], dtype=torch.float64)
        x0 = x_lin[:1]
        c0 = lin.c.detach().clone()
        elbos, kls = [], []
        with torch.no_grad():
            for s in shifts:
                # en: shift the encoder's mean by s * direction
                # zh: 把编码器的均值平移 s * direction
                lin.c.copy_(c0 + s * direction)
                elbos.append(float(lin.elbo(x0)))
                kls.append(float(lin.kl_to_posterior(x0)))
            lin.c.copy_(c0)
            lp0 = float(lin.log_marginal(x0))
        elbos, kls = np.array(elbos), np.array(kls)
        # en: the identity holds up to float64 rounding (about 1e-14 here, its last digits differ from CPU to CPU)
        # zh: 恒等式在 float64 舍入误差范围内成立（这里约为 1e-14，最后几位数字因 CPU 而异）
        print(T("largest |log p(x) − ELBO − KL| along the path < 1e-12:", "整条路径上 |log p(x) − ELBO − KL| 的最大值 < 1e-12："),
              bool(np.abs(lp0 - elbos - kls).max() < 1e-12))

        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        ax.axhline(lp0, color="k", label=T("log p(x) (exact)", "log p(x)（精确值）"))
        ax.plot(shifts, elbos, color="C0", label="ELBO")
        ax.fill_between(shifts, elbos, lp0, color="C0", alpha=0.15, label=T("gap", "差距"))
        ax.plot(shifts, lp0 - kls, "C3--", label=T("log p(x) − KL(q ‖ p(z|x))", "log p(x) − KL(q ‖ p(z|x))"))
        ax.set_xlabel(T("shift s of the encoder mean", "编码器均值的平移量 s"))
        ax.set_ylabel(T("nats", "奈特（nats）"))
        ax.set_title(T("The ELBO gap is the KL to the true posterior", "ELBO 的差距就是到真实后验的 KL 散度"))
        ax.legend(loc="lower center", fontsize=8)
        plt.show()
        """
    ),
    # ---------------------------------------------------------------------------------------------- KL
    md(
        en=r"""
        ## 3.3 The KL term in closed form

        With a diagonal Gaussian encoder and a standard normal prior, the KL term needs no sampling. In one
        dimension, $\log q(z) - \log p(z) = -\log\sigma - \frac{(z-\mu)^2}{2\sigma^2} + \frac{z^2}{2}$; its
        expectation under $q = \mathcal N(\mu, \sigma^2)$ uses $\mathbb E[(z-\mu)^2] = \sigma^2$ and
        $\mathbb E[z^2] = \mu^2 + \sigma^2$, and the dimensions add up:

        $$
        \mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I)\big)
        = \frac12 \sum_{j=1}^{d} \big(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\big).
        $$

        `gaussian_kl(mu, logvar)` computes this (the network outputs $\log\sigma^2$, which can be any real
        number). Check it against a Monte Carlo average of $\log q(z) - \log p(z)$ over 200,000 draws:
        """,
        zh=r"""
        ## 3.3 KL 项的闭式解

        编码器是对角高斯分布、先验是标准正态分布时，KL 项无需采样。在一维情形下，$\log q(z) - \log p(z) = -\log\sigma - \frac{(z-\mu)^2}{2\sigma^2} + \frac{z^2}{2}$；
        在 $q = \mathcal N(\mu, \sigma^2)$ 下取期望，利用 $\mathbb E[(z-\mu)^2] = \sigma^2$ 和 $\mathbb E[z^2] = \mu^2 + \sigma^2$，再把各维相加：

        $$
        \mathrm{KL}\big(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I)\big)
        = \frac12 \sum_{j=1}^{d} \big(\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2\big).
        $$

        `gaussian_kl(mu, logvar)` 计算的就是这个式子（网络输出的是 $\log\sigma^2$，它可以取任意实数）。
        下面用 200,000 次采样对 $\log q(z) - \log p(z)$ 求蒙特卡洛平均来核对它：
        """,
    ),
    code(
        """
        mu_k = torch.tensor([[0.0, 0.0], [1.0, -2.0], [0.5, 0.3], [0.0, 0.0]], dtype=torch.float64)
        logvar_k = torch.tensor([[0.0, 0.0], [0.0, 0.0], [-2.0, 1.0], [-4.0, -4.0]], dtype=torch.float64)
        n = 200_000
        z = reparameterize(mu_k.expand(n, -1, -1), logvar_k.expand(n, -1, -1), generator=gen(2))
        terms = (Normal(mu_k, (0.5 * logvar_k).exp()).log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(-1)
        closed = gaussian_kl(mu_k, logvar_k)
        print(T("mu              sigma^2            closed form   Monte Carlo ± s.e.",
                "mu              sigma^2            闭式解        蒙特卡洛 ± 标准误差"))
        for i in range(len(mu_k)):
            print(f"{str([round(v, 2) for v in mu_k[i].tolist()]):15s} "
                  f"{str([round(v, 3) for v in logvar_k[i].exp().tolist()]):18s} {float(closed[i]):8.4f}"
                  f"      {float(terms[:, i].mean()):8.4f} ± {float(terms[:, i].std() / math.sqrt(n)):.4f}")
        """
    ),
    md(
        en=r"""
        The closed form sits within a few standard errors of the Monte Carlo estimate on every row. The first row
        is $q = p$, where the KL is exactly zero; the last row shows the price of a very confident encoder
        ($\sigma^2 \approx 0.018$): the $-\log\sigma_j^2$ term makes certainty expensive.
        """,
        zh=r"""
        每一行的闭式解都落在蒙特卡洛估计的几个标准误差之内。第一行是 $q = p$ 的情形，KL 恰好为零；
        最后一行显示了一个高度自信的编码器（$\sigma^2 \approx 0.018$）要付出的代价：$-\log\sigma_j^2$ 这一项让确定性变得昂贵。
        """,
    ),
    # ----------------------------------------------------------------------------------- reparam vs SF
    md(
        en=r"""
        ## 3.4 The reparameterisation trick, and why it beats the score-function estimator

        Training needs the gradient of an expectation whose *distribution* depends on the parameters,
        $\nabla_\phi\, \mathbb E_{q_\phi(z)}[f(z)]$, with $f(z) = \log p_\theta(x\mid z) + \log p(z) -
        \log q_\phi(z\mid x)$ the ELBO's integrand. There are two unbiased ways to estimate it from samples.

        * **Score function (REINFORCE)** {cite:p}`williams1992reinforce`: differentiate the density,
          $\nabla_\phi \mathbb E_q[f] = \mathbb E_q\big[f(z)\,\nabla_\phi \log q_\phi(z)\big]$ (the extra term
          $\mathbb E_q[\nabla_\phi f]=-\mathbb E_q[\nabla_\phi \log q_\phi]$ is zero). It needs only values of $f$,
          never its gradient.
        * **Reparameterisation** {cite:p}`kingma2014vae,rezende2014stochastic`: write the sample as a
          differentiable function of the parameters and parameter-free noise,
          $z = \mu + \sigma \odot \varepsilon$ with $\varepsilon \sim \mathcal N(0, I)$, so that
          $\nabla_\phi \mathbb E_q[f] = \mathbb E_\varepsilon\big[\nabla_\phi f(\mu + \sigma\odot\varepsilon)\big]$.
          It uses the gradient of $f$, which backpropagation provides through the decoder.

        Both are right on average; they differ in **variance**, i.e. in how many samples a useful gradient
        needs. We measure both on the same objective: the ELBO of the linear-Gaussian model for one observation,
        with the encoder's mean moved off the posterior mean ($s = 0.3$ on the path of section 3.2) so that the
        gradient is not zero. Its exact gradient with respect to the encoder's $\mu$ and $\log\sigma^2$ comes
        from autograd on the closed form. Each estimator is drawn 20,000 times with one sample $z$ each.
        """,
        zh=r"""
        ## 3.4 重参数化技巧，以及它为什么胜过得分函数估计量

        训练需要一个期望的梯度，而这个期望所依据的*分布*本身依赖于参数：$\nabla_\phi\, \mathbb E_{q_\phi(z)}[f(z)]$，
        其中 $f(z) = \log p_\theta(x\mid z) + \log p(z) - \log q_\phi(z\mid x)$ 是 ELBO 的被积函数。用样本来无偏地估计它有两种办法。

        * **得分函数（REINFORCE）** {cite:p}`zh-williams1992reinforce`：对密度求导，$\nabla_\phi \mathbb E_q[f] = \mathbb E_q\big[f(z)\,\nabla_\phi \log q_\phi(z)\big]$
          （多出来的一项 $\mathbb E_q[\nabla_\phi f]=-\mathbb E_q[\nabla_\phi \log q_\phi]$ 等于零）。它只需要 $f$ 的函数值，不需要 $f$ 的梯度。
        * **重参数化** {cite:p}`zh-kingma2014vae,zh-rezende2014stochastic`：把样本写成参数和不含参数的噪声的可微函数，
          $z = \mu + \sigma \odot \varepsilon$，$\varepsilon \sim \mathcal N(0, I)$，于是
          $\nabla_\phi \mathbb E_q[f] = \mathbb E_\varepsilon\big[\nabla_\phi f(\mu + \sigma\odot\varepsilon)\big]$。
          它用到 $f$ 的梯度，而反向传播可以穿过解码器把这个梯度算出来。

        两者在平均意义上都正确；区别在于**方差**，也就是得到一个有用的梯度需要多少样本。我们在同一个目标上度量两者：
        线性高斯模型对一个观测的 ELBO，其中编码器的均值偏离了后验均值（沿 3.2 节的路径取 $s = 0.3$），这样梯度才不为零。
        它关于编码器 $\mu$ 和 $\log\sigma^2$ 的精确梯度，由自动求导对闭式解求出。
        每个估计量各抽取 20,000 次，每次只用一个样本 $z$。
        """,
    ),
    code(
        """
        def log_q(z, mu, logvar):
            return Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(-1)


        def elbo_integrand(model, x, z, mu, logvar):
            # en: f(z) = log p(x|z) + log p(z) − log q(z|x), one value per row
            # zh: f(z) = log p(x|z) + log p(z) − log q(z|x)，每行一个值
            return model.log_px_given_z(x, z) + Normal(0.0, 1.0).log_prob(z).sum(-1) - log_q(z, mu, logvar)


        def gradient_samples(model, x, mu, logvar, n, seed):
            # en: n single-sample estimates of the gradient w.r.t. (mu, logvar), for both estimators.
            # en: Each sample gets its own copy of the parameters, so its gradient lands in its own row.
            # zh: 两种估计量各 n 个单样本梯度估计（对 (mu, logvar) 求导）。
            # zh: 每个样本拥有一份参数副本，因此它的梯度落在自己那一行。
            mu_s = mu.detach().repeat(n, 1).requires_grad_(True)
            lv_s = logvar.detach().repeat(n, 1).requires_grad_(True)
            xs = x.expand(n, *x.shape[1:])
            # en: z = mu + sigma * eps: differentiable
            # zh: z = mu + sigma * eps：可微
            z = reparameterize(mu_s, lv_s, generator=gen(seed))
            elbo_integrand(model, xs, z, mu_s, lv_s).sum().backward()
            reparam = torch.cat([mu_s.grad, lv_s.grad], 1)
            mu_s.grad = lv_s.grad = None
            # en: score function: z is just a number
            # zh: 得分函数：z 只是一个数
            z = reparameterize(mu_s, lv_s, generator=gen(seed + 1)).detach()
            f = elbo_integrand(model, xs, z, mu_s, lv_s).detach()
            (f * log_q(z, mu_s, lv_s)).sum().backward()
            score = torch.cat([mu_s.grad, lv_s.grad], 1)
            return reparam.detach(), score.detach()


        # en: an imperfect encoder: the mean shifted by s = 0.3 along the path of section 3.2
        # zh: 一个不完美的编码器：均值沿 3.2 节的路径平移 s = 0.3
        lin_off = LinearGaussianVAE(W, b, sigma, c=c0 + 0.3 * direction)
        # en: exact gradient of the closed-form ELBO
        # zh: 闭式 ELBO 的精确梯度
        lin_off.elbo(x0).sum().backward()
        exact = torch.cat([lin_off.c.grad, lin_off.logvar.grad])
        with torch.no_grad():
            mu0, lv0 = lin_off.encode(x0)
        g_rep, g_sf = gradient_samples(lin_off, x0, mu0, lv0, n=20_000, seed=3)
        names = ["d/dmu1", "d/dmu2", "d/dlogvar1", "d/dlogvar2"]
        print(T("component     exact    reparam. mean ± s.e.   score fn. mean ± s.e.   variance ratio (score / reparam.)",
                "分量          精确值   重参数化 均值 ± 标准误差   得分函数 均值 ± 标准误差   方差之比（得分函数 / 重参数化）"))
        se = lambda t: float(t.std() / math.sqrt(len(t)))
        for j, name in enumerate(names):
            print(f"{name:11s} {float(exact[j]):8.4f}   {float(g_rep[:, j].mean()):8.4f} ± {se(g_rep[:, j]):.4f}"
                  f"      {float(g_sf[:, j].mean()):8.4f} ± {se(g_sf[:, j]):.4f}"
                  f"      {float(g_sf[:, j].var() / g_rep[:, j].var()):8.1f}")
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        lo, hi = np.percentile(g_sf[:, 0].numpy(), [0.5, 99.5])
        bins = np.linspace(lo, hi, 120)
        ax.hist(g_sf[:, 0].numpy(), bins=bins, alpha=0.6, density=True, label=T("score function (REINFORCE)", "得分函数（REINFORCE）"))
        ax.hist(g_rep[:, 0].numpy(), bins=bins, alpha=0.6, density=True, label=T("reparameterisation", "重参数化"))
        ax.axvline(float(exact[0]), color="k", lw=1, label=T("exact gradient", "精确梯度"))
        ax.set_xlabel(T("one-sample estimate of dELBO/dmu1", "dELBO/dmu1 的单样本估计"))
        ax.set_ylabel(T("density", "密度"))
        ax.set_title(T("Same expectation, very different spread", "期望相同，离散程度却天差地别"))
        ax.legend(fontsize=8)
        plt.show()
        """
    ),
    md(
        en=r"""
        Both estimators are centred on the exact gradient (the means agree within about two standard errors), but the
        table's last column shows how much more the score-function estimator scatters: to reach the same
        precision it needs that many times more samples. The reason is visible in its formula: it multiplies
        the *value* $f(z)$ — here a log-density of several nats, in a VAE on MNIST a hundred or more — by a
        zero-mean score, while the reparameterised estimator uses how $f$ *changes* with $z$. Section 3.7 repeats
        the measurement on the MNIST VAE, where the ratio is far larger. Baselines (control variates) reduce the
        score function's variance — exercise 2 — but it remains the estimator of last resort, for discrete $z$ or
        non-differentiable $f$.
        """,
        zh=r"""
        两种估计量都以精确梯度为中心（均值与精确值之差都在约两个标准误差以内），但表格最后一列显示，得分函数估计量的离散程度大得多：
        要达到相同的精度，它所需的样本数就是重参数化估计量的这么多倍。原因从公式就能看出：它把 $f(z)$ 的*函数值*——这里是几个奈特量级的对数密度，
        在 MNIST 的 VAE 里则达到一百以上——乘上一个均值为零的得分；而重参数化估计量用的是 $f$ 随 $z$ 的*变化*。
        3.7 节会在 MNIST 的 VAE 上重复这一测量，那里的方差之比还要大得多。基线（控制变量）可以降低得分函数的方差（见练习 2），
        但它仍然只是在 $z$ 离散或 $f$ 不可微时才不得不用的办法。
        """,
    ),
    # ------------------------------------------------------------------------------ likelihoods
    md(
        en=r"""
        ## 3.5 Bernoulli or Gaussian likelihood

        The decoder's output defines $p_\theta(x\mid z)$, and the choice of distribution is the choice of
        reconstruction loss. `course_lib` offers two (`log_likelihood`, `negative_elbo(..., likelihood=...)`);
        in both, the decoder outputs one number $\ell_i$ per pixel and $m_i = \operatorname{sigmoid}(\ell_i)$.

        * **Bernoulli**: $\log p(x\mid z) = \sum_i x_i \log m_i + (1-x_i)\log(1-m_i)$, minus the binary
          cross-entropy. It is a probability for binary pixels. MNIST pixels are grey levels in $[0,1]$, which
          `course_lib`, like the PyTorch examples, uses as soft targets; then the value is no longer a normalised
          log-probability, and even a perfect reconstruction $m = x$ pays the pixels' entropy
          $\sum_i H(x_i)$ {cite:p}`loaizaganem2019continuous`.
        * **Gaussian with a fixed variance** $\sigma^2$ (`sigma=0.1` by default): $-\log p(x\mid z) =
          \frac{1}{2\sigma^2}\sum_i (x_i - m_i)^2 + D\log\sigma + \frac D2 \log 2\pi$ over $D = 784$ pixels. A
          density, not a probability, so its nats cannot be compared with Bernoulli nats. Multiplying the
          negative ELBO by $2\sigma^2$ gives $\sum_i (x_i - m_i)^2 + 2\sigma^2\,\mathrm{KL}$ plus a constant: a
          squared-error autoencoder with a KL weight $2\sigma^2$. **The noise level plays the role of $\beta$**:
          a small $\sigma$ means sharp reconstructions and a weak pull towards the prior.

        The cell checks both formulas against `torch.distributions`, computes the entropy floor of the held-out
        digits, and checks the Gaussian-to-$\beta$ identity:
        """,
        zh=r"""
        ## 3.5 伯努利似然还是高斯似然

        解码器的输出确定了 $p_\theta(x\mid z)$，而选择哪种分布，也就选择了哪种重构损失。`course_lib` 提供两种
        （`log_likelihood`，`negative_elbo(..., likelihood=...)`）；两种情形下，解码器都为每个像素输出一个数 $\ell_i$，并记 $m_i = \operatorname{sigmoid}(\ell_i)$。

        * **伯努利**：$\log p(x\mid z) = \sum_i x_i \log m_i + (1-x_i)\log(1-m_i)$，即二元交叉熵取负。对二值像素，它是一个概率。
          MNIST 的像素是 $[0,1]$ 之间的灰度，`course_lib` 与 PyTorch 官方示例一样，把灰度当作“软目标”使用；这时它就不再是归一化的对数概率，
          即使完美重构（$m = x$）也要付出像素本身的熵 $\sum_i H(x_i)$ {cite:p}`zh-loaizaganem2019continuous`。
        * **方差固定的高斯**，方差为 $\sigma^2$（默认 `sigma=0.1`）：$-\log p(x\mid z) = \frac{1}{2\sigma^2}\sum_i (x_i - m_i)^2 + D\log\sigma + \frac D2 \log 2\pi$，
          其中 $D = 784$ 为像素数。它是概率密度而不是概率，所以它的奈特数不能与伯努利的奈特数相比较。把负 ELBO 乘以 $2\sigma^2$，
          得到 $\sum_i (x_i - m_i)^2 + 2\sigma^2\,\mathrm{KL}$ 再加一个常数：一个以平方误差为损失、KL 权重为 $2\sigma^2$ 的自编码器。
          **噪声水平扮演了 $\beta$ 的角色**：$\sigma$ 越小，重构越清晰，拉向先验的力量也越弱。

        下面的单元格用 `torch.distributions` 核对这两个公式，计算留出数字的熵下限，并验证高斯似然与 $\beta$ 之间的等式：
        """,
    ),
    code(
        """
        g = gen(4)
        x = x_held[:8].double()
        logits = torch.randn(8, 1, 28, 28, generator=g, dtype=torch.float64)
        m = torch.sigmoid(logits)
        by_hand = (x * m.log() + (1 - x) * (1 - m).log()).sum((1, 2, 3))
        # en: each check prints the bound its rounding error meets (the digits of the error differ from CPU to CPU)
        # zh: 每项检查只打印舍入误差满足的上界（误差本身的数字因 CPU 而异）
        print(T("Bernoulli: largest difference from the formula < 1e-9:        ", "伯努利：与公式的最大差异 < 1e-9：        "),
              bool((log_likelihood(x, logits) - by_hand).abs().max() < 1e-9))
        ref = Normal(m, 0.1).log_prob(x).sum((1, 2, 3))
        print(T("Gaussian (sigma=0.1): difference from torch.distributions < 1e-9:", "高斯（sigma=0.1）：与 torch.distributions 的差异 < 1e-9："),
              bool((log_likelihood(x, logits, 'gaussian', sigma=0.1) - ref).abs().max() < 1e-9))

        # en: the entropy floor: the Bernoulli loss of a perfect reconstruction (m = x) on grey-level digits
        # zh: 熵下限：对灰度数字做完美重构（m = x）时的伯努利损失
        p = x_held.clamp(1e-6, 1 - 1e-6)
        floor = -(x_held * p.log() + (1 - x_held) * (1 - p).log()).sum((1, 2, 3))
        grey = ((x_held > 0) & (x_held < 1)).float().mean()
        print(T(f"share of held-out pixels strictly between 0 and 1: {float(grey):.3f}",
                f"留出数字中严格介于 0 与 1 之间的像素比例：{float(grey):.3f}"))
        print(T(f"entropy floor of the Bernoulli loss on held-out digits: {float(floor.mean()):.1f} nats/image",
                f"留出数字上伯努利损失的熵下限：{float(floor.mean()):.1f} 奈特/图像"))

        # en: Gaussian negative ELBO times 2 sigma^2 = squared error + 2 sigma^2 KL + constant
        # zh: 高斯负 ELBO 乘以 2 sigma^2 = 平方误差 + 2 sigma^2 KL + 常数
        mu_r, lv_r = torch.randn(8, 4, generator=g, dtype=torch.float64), torch.randn(8, 4, generator=g, dtype=torch.float64)
        s = 0.1
        lhs = 2 * s**2 * negative_elbo(x, logits, mu_r, lv_r, likelihood="gaussian", sigma=s)
        rhs = (x - m).pow(2).sum((1, 2, 3)) + 2 * s**2 * gaussian_kl(mu_r, lv_r) + 2 * s**2 * 784 * (math.log(s) + 0.5 * math.log(2 * math.pi))
        print(T("Gaussian loss x 2 sigma^2 vs squared error + 2 sigma^2 KL + const, difference < 1e-9:", "高斯损失 x 2 sigma^2 与 平方误差 + 2 sigma^2 KL + 常数 之差 < 1e-9："),
              bool((lhs - rhs).abs().max() < 1e-9))
        """
    ),
    md(
        en=r"""
        Keep the entropy floor in mind when reading the MNIST numbers below: no model of grey-level digits can
        score a Bernoulli reconstruction loss below the floor the cell prints, so these nats are comparable with
        other grey-level Bernoulli VAEs (the VAE of the PyTorch examples, an MLP with a 20-D latent trained for 10
        epochs on full MNIST, ends with a test loss of about 106 nats per image), not with the log-likelihoods
        published for *binarised* MNIST, which are below 90 nats {cite:p}`rezende2015flows,burda2016iwae`.
        """,
        zh=r"""
        阅读下文 MNIST 上的数字时，请记住这个熵下限：任何灰度数字模型的伯努利重构损失都不可能低于上面打印的下限。
        因此这些奈特数只能与其他在灰度像素上使用伯努利似然的 VAE 相比（PyTorch 官方示例中的 VAE 是 20 维潜变量的 MLP，在完整 MNIST 上训练 10 轮，
        测试损失约为每张图像 106 奈特），而不能与*二值化* MNIST 上发表的对数似然相比，后者低于 90 奈特 {cite:p}`zh-rezende2015flows,zh-burda2016iwae`。
        """,
    ),
    # ----------------------------------------------------------------------------------------- beta
    md(
        en=r"""
        ## 3.6 What β does

        The β-VAE {cite:p}`higgins2017betavae` weights the KL term: $\mathcal L_\beta(x) = \text{reconstruction}
        + \beta\,\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)$. Only $\beta = 1$ is the negative ELBO, a bound on
        $-\log p(x)$. Larger $\beta$ pushes every code towards the prior: smoother, more regular latent spaces,
        blurrier reconstructions, and at the extreme *posterior collapse* — the encoder ignores $x$, the KL is
        zero, and the decoder draws one average digit. $\beta = 0$ **drops the KL term**: what remains is an
        autoencoder with noisy codes. It reconstructs best, but nothing makes its codes look like draws from
        $\mathcal N(0, I)$, so decoding prior samples gives images unlike any digit: **without the KL term the
        model is not a generative model.**

        We train four small VAEs (MLP, 8-D latent, 200 hidden units, 5 epochs of Adam with learning rate
        0.002 on the 4,000 training digits, a few seconds each on a CPU) that differ only in $\beta$, and measure on held-out digits the
        reconstruction loss, the KL and the true negative ELBO ($\beta = 1$), and for 200 prior samples the mean
        Euclidean distance in pixel space to the nearest training digit (how data-like they are) and the mean
        distance between two samples (how varied they are).
        """,
        zh=r"""
        ## 3.6 β 起什么作用

        β-VAE {cite:p}`zh-higgins2017betavae` 给 KL 项加上权重：$\mathcal L_\beta(x) = \text{重构损失} + \beta\,\mathrm{KL}\big(q_\phi(z\mid x)\,\|\,p(z)\big)$。
        只有 $\beta = 1$ 时它才是负 ELBO，即 $-\log p(x)$ 的一个上界。$\beta$ 越大，就越用力地把每个编码推向先验：潜空间更平滑、更规整，
        重构更模糊；走到极端便是*后验坍塌*——编码器不再理会 $x$，KL 为零，解码器只会画出同一个“平均数字”。
        $\beta = 0$ 则**去掉了 KL 项**：剩下的是一个编码带噪声的自编码器。它的重构最好，但没有任何东西让它的编码看起来像是从 $\mathcal N(0, I)$ 中抽出的，
        因此对先验样本解码得到的图像不像任何数字：**没有 KL 项，模型就不是生成模型。**

        我们训练四个只在 $\beta$ 上不同的小型 VAE（MLP，8 维潜变量，200 个隐藏单元，用学习率 0.002 的 Adam 在 4,000 张训练数字上训练 5 轮，在 CPU 上每个只需几秒），
        在留出数字上度量重构损失、KL 以及真正的负 ELBO（$\beta = 1$）；对 200 个先验样本，再度量它们到最近训练数字的平均像素距离（像不像数据）
        以及样本两两之间的平均距离（多样性如何），距离均为像素空间中的欧氏距离。
        """,
    ),
    code(
        """
        betas = [0.0, 1.0, 4.0, 16.0]
        beta_models, rows = {}, []
        for beta in betas:
            # en: the same initial weights and minibatches for every beta; in float64, so that the printed
            # en: digits are the same on every CPU (in float32 the last one differs between Intel and AMD)
            # zh: 每个 beta 用同样的初始权重和小批量；用 float64 训练，打印出的数字在任何 CPU 上都相同
            # zh: （用 float32 时最后一位在 Intel 和 AMD 上不同）
            torch.manual_seed(0)
            model = MLPVAE(z_dim=8, hidden=200).double()
            train_vae(model, x_train.double(), epochs=5, batch_size=64, lr=2e-3, beta=beta, device="cpu")
            # en: beta = 1: the true negative ELBO
            # zh: beta = 1：真正的负 ELBO
            ev = evaluate_vae(model, x_held.double())
            with torch.no_grad():
                samples = model.sample(200, generator=gen(5)).flatten(1)
                to_train = torch.cdist(samples, x_train.double().flatten(1)).min(1).values.mean()
                spread = torch.pdist(samples).mean()
            beta_models[beta] = model
            rows.append((beta, ev["recon"], ev["kl"], ev["neg_elbo"], float(to_train), float(spread)))
        print(T("beta   recon.   KL     -ELBO   sample→nearest training digit   distance between samples",
                "beta   重构     KL     -ELBO   样本→最近训练数字的距离         样本之间的距离"))
        for beta, rec, kl, nelbo, dist, spread in rows:
            print(f"{beta:4.0f}  {rec:6.1f}  {kl:5.1f}  {nelbo:6.1f}   {dist:14.2f}                {spread:10.2f}")
        """
    ),
    code(
        """
        picks = torch.stack([torch.nonzero(y_held == k).flatten()[0] for k in range(8)])
        fig, axes = plt.subplots(len(betas) + 1, 2, figsize=(9.6, 6.4))
        show_images(x_held[picks], nrow=8, ax=axes[0, 0], title=T("held-out digits", "留出数字"))
        axes[0, 1].set_axis_off()
        axes[0, 1].text(0.5, 0.3, T("samples z ~ N(0, I), decoded", "样本：z ~ N(0, I)，再解码"), ha="center", fontsize=11)
        for r, beta in enumerate(betas, start=1):
            model = beta_models[beta]
            with torch.no_grad():
                # en: decode the mean code
                # zh: 解码均值编码
                recon = torch.sigmoid(model.decode(model.encode(x_held[picks].double())[0]))
                samples = model.sample(8, generator=gen(6))
            show_images(recon, nrow=8, ax=axes[r, 0], title=T(f"β = {beta:g}: reconstructions", f"β = {beta:g}：重构"))
            show_images(samples, nrow=8, ax=axes[r, 1], title=T(f"β = {beta:g}: samples", f"β = {beta:g}：样本"))
        fig.suptitle(T("Reconstructions vs samples as β grows", "随着 β 增大：重构与样本的对比"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        The table and the figure tell the same story. With $\beta = 0$ the reconstruction loss is the lowest but
        the KL is huge: the codes sit far from the prior, so prior samples fall where the decoder was never
        trained — scribbles, not digits, far from every training digit. $\beta = 1$ trades a little reconstruction for a small KL and has the best
        true negative ELBO. As $\beta$ grows the KL shrinks towards zero and reconstructions blur; at
        $\beta = 16$ the distance between samples collapses — the decoder draws nearly the same blob whatever
        $z$ is (posterior collapse).
        """,
        zh=r"""
        表格和图讲的是同一件事。$\beta = 0$ 时重构损失最低，但 KL 巨大：编码远离先验，先验样本落在解码器从未训练过的地方——是涂鸦，而不是数字，离每个训练数字都很远。
        $\beta = 1$ 牺牲一点重构，换来很小的 KL，真正的负 ELBO 也最好。随着 $\beta$ 增大，KL 趋向于零，重构变得模糊；
        到 $\beta = 16$ 时，样本之间的距离大幅缩小——无论 $z$ 取什么，解码器画出的几乎都是同一团模糊（后验坍塌）。
        """,
    ),
    # ------------------------------------------------------------------------------------- 2-D MNIST
    md(
        en=r"""
        ## 3.7 A VAE with a 2-D latent space on MNIST

        A 2-D latent space can be drawn. Training it takes longer than a notebook should, so it was trained once
        with `course_lib`'s command line and ships as a small checkpoint (weights in safetensors, a JSON model
        card that records the data, the epochs, the metrics and the exact command). The next cell loads it and
        prints its card; the `command` line retrains it, in about the time the card records.
        """,
        zh=r"""
        ## 3.7 MNIST 上的二维潜空间 VAE

        二维潜空间可以直接画出来。训练它耗时太长，不适合放在笔记本里，所以我们用 `course_lib` 的命令行训练了一次，
        并把它作为一个小检查点随包发布（权重存为 safetensors，另有一张 JSON 模型卡，记录数据、训练轮数、指标和确切的命令）。
        下一个单元格加载它并打印模型卡；按其中 `command` 一行即可重新训练，所需时间与模型卡中记录的相近。
        """,
    ),
    code(
        """
        ckpt = Path(course_lib.__file__).parent / "checkpoints" / "vae2d_offline"
        vae, card = load_vae(ckpt)
        print(T("model:  ", "模型：  "), card["kind"], card["config"], f"({card['parameters']:,} {T('parameters', '个参数')})")
        print(T("data:   ", "数据：  "), course_lib.localise(card["data"], T("en", "zh")))
        print(T("epochs: ", "轮数：  "), card["epochs"], T(f"(batch {card['batch_size']}, Adam lr {card['lr']}, seed {card['seed']})",
                                                       f"（批大小 {card['batch_size']}，Adam 学习率 {card['lr']}，种子 {card['seed']}）"))
        print(T("command:", "命令：  "), card["command"])
        device = course_lib.localise(card["device"], T("en", "zh"))
        print(T(f"trained on {device} in {card['wall_time_s']:.0f} s (as recorded in the card)",
                f"训练设备 {device}，用时 {card['wall_time_s']:.0f} 秒（模型卡中的记录）"))
        ev = evaluate_vae(vae, x_held)
        print(T(f"held-out (1,000 digits): -ELBO {ev['neg_elbo']:.1f} = reconstruction {ev['recon']:.1f} + KL {ev['kl']:.1f} nats/image",
                f"留出数据（1,000 张）：-ELBO {ev['neg_elbo']:.1f} = 重构 {ev['recon']:.1f} + KL {ev['kl']:.1f} 奈特/图像"))
        """
    ),
    md(
        en=r"""
        **The latent map.** Each held-out digit is placed at its encoder mean $\mu_\phi(x)$ and coloured by its
        label (which the VAE never saw). The dashed circles enclose 39 % and 86 % of the prior's mass. Digits of
        a class gather in regions, and the regions together cover the area where the prior puts its mass — the
        KL term at work — though not perfectly: the cell prints how many codes lie inside the outer circle,
        against the prior's 86 %, and how small the encoder's standard deviations are. Where the codes leave
        gaps, prior samples decode to less convincing digits.
        """,
        zh=r"""
        **潜空间分布图。** 把每个留出数字放在它的编码器均值 $\mu_\phi(x)$ 处，并按标签着色（VAE 从未见过这些标签）。
        两条虚线圆分别包含先验 39% 和 86% 的概率质量。同一类的数字聚集成片，各片区域合起来覆盖了先验集中质量的范围——这正是 KL 项在起作用——
        不过并不完美：单元格打印出外圈以内的编码所占的比例（先验是 86%），以及编码器的标准差有多小。编码之间留下空隙的地方，先验样本解码出来的数字也就不那么像样。
        """,
    ),
    code(
        """
        with torch.no_grad():
            mu_held, logvar_held = vae.encode(x_held)
        fig, ax = plt.subplots(figsize=(5.6, 4.8))
        sc = ax.scatter(mu_held[:, 0], mu_held[:, 1], c=y_held, cmap="tab10", s=6, vmin=-0.5, vmax=9.5)
        t = np.linspace(0, 2 * np.pi, 200)
        for r in (1, 2):
            ax.plot(r * np.cos(t), r * np.sin(t), "k--", lw=0.8)
        fig.colorbar(sc, ax=ax, ticks=range(10), label=T("digit", "数字"))
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
        ax.set_aspect("equal")
        ax.set_title(T("Encoder means of the 1,000 held-out digits", "1,000 张留出数字的编码器均值"))
        plt.show()
        inside = (mu_held.pow(2).sum(1) < 4).float().mean()
        print(T(f"share of held-out codes within radius 2: {float(inside):.3f}  (prior mass within radius 2: {1 - math.exp(-2):.3f})",
                f"半径 2 以内的留出编码所占比例：{float(inside):.3f}（先验在半径 2 以内的质量：{1 - math.exp(-2):.3f}）"))
        print(T(f"median posterior standard deviation: {float((0.5 * logvar_held).exp().median()):.3f}",
                f"后验标准差的中位数：{float((0.5 * logvar_held).exp().median()):.3f}"))
        """
    ),
    md(
        en=r"""
        **Samples and interpolations.** To *generate*, draw $z \sim \mathcal N(0, I)$ and decode it; the images
        are the Bernoulli means $\operatorname{sigmoid}(\text{decoder}(z))$. To interpolate between two digits,
        decode the points on the straight line between their codes.
        """,
        zh=r"""
        **采样与插值。** 要*生成*图像，就抽取 $z \sim \mathcal N(0, I)$ 并解码；显示的图像是伯努利均值 $\operatorname{sigmoid}(\text{解码器}(z))$。
        要在两个数字之间插值，就对两者编码之间直线上的各点解码。
        """,
    ),
    code(
        """
        with torch.no_grad():
            prior_samples = vae.sample(30, generator=gen(7))
            first = {k: int(torch.nonzero(y_held == k).flatten()[0]) for k in range(10)}
            pairs = [(0, 6), (3, 8), (4, 9), (1, 7)]
            steps = torch.linspace(0, 1, 10)[:, None]
            paths = []
            for a, c in pairs:
                za, zc = mu_held[first[a]], mu_held[first[c]]
                paths.append(torch.sigmoid(vae.decode((1 - steps) * za + steps * zc)))
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1, 1]})
        show_images(prior_samples, nrow=10, ax=axes[0], title=T("30 samples from the prior", "从先验中抽取的 30 个样本"))
        show_images(torch.cat(paths), nrow=10, ax=axes[1],
                    title=T("interpolations: 0→6, 3→8, 4→9, 1→7", "插值：0→6、3→8、4→9、1→7"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        **The latent explorer.** In JupyterLab the sliders below are live: move $z_1$ and $z_2$ and the decoder
        redraws the digit at that point, marked by a star on the latent map. The rendered book cannot run Python,
        so the cell after it draws the same figure for one fixed point, and the figure after that shows what the
        sliders sweep over: the decoded digit at every point of a grid.
        """,
        zh=r"""
        **潜空间浏览器。** 在 JupyterLab 中，下面的滑块是可以实时操作的：拖动 $z_1$ 和 $z_2$，解码器就会重新画出该点处的数字，
        并在潜空间分布图上用星号标出这个点。网页版的书无法运行 Python，所以接下来的单元格对一个固定的点画出同样的图，
        再下一张图展示滑块所能扫过的全部内容：网格上每一点解码得到的数字。
        """,
    ),
    code(
        """
        def explore(z1=0.0, z2=0.0):
            # en: the latent map with a star at z, and the digit the decoder draws there
            # zh: 在潜空间分布图上用星号标出 z，并画出解码器在该点生成的数字
            with torch.no_grad():
                image = torch.sigmoid(vae.decode(torch.tensor([[z1, z2]])))[0, 0]
            fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 3.4), gridspec_kw={"width_ratios": [1.2, 1]})
            a.scatter(mu_held[:, 0], mu_held[:, 1], c=y_held, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
            a.plot([z1], [z2], marker="*", color="k", markersize=16)
            a.set_xlim(-3.5, 3.5)
            a.set_ylim(-3.5, 3.5)
            a.set_xlabel("$z_1$")
            a.set_ylabel("$z_2$")
            a.set_title(T("latent map", "潜空间分布图"))
            b.imshow(1 - image.numpy(), cmap="gray", vmin=0, vmax=1)
            b.set_axis_off()
            b.set_title(T(f"decoded at z = ({z1:.1f}, {z2:.1f})", f"z = ({z1:.1f}, {z2:.1f}) 处的解码结果"))
            return fig


        # en: two sliders side by side above the figure; moving a slider redraws it (live in JupyterLab);
        # en: tight=True crops the picture to its content, which keeps the axis labels (z1, z2) inside it
        # zh: 两个并排的滑块，下方是图像；拖动滑块即重新绘图（在 JupyterLab 中实时生效）；
        # zh: tight=True 把图像裁到内容边缘，让坐标轴标签（z1、z2）完整留在图像之内
        sliders = [widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description=name, continuous_update=False)
                   for name in ("z1", "z2")]
        slider_figure(explore, *sliders, tight=True, side_by_side=True)
        """
    ),
    code(
        """
        # en: the static version of the explorer, for the rendered book
        # zh: 交互控件的静态版本，供网页版的书使用
        explore(z1=-1.0, z2=1.0)
        plt.show()
        """
    ),
    code(
        """
        quantiles = torch.linspace(0.03, 0.97, 15)
        # en: grid points at equally spaced prior quantiles
        # zh: 网格点取在先验的等间距分位数上
        axis_z = Normal(0.0, 1.0).icdf(quantiles)
        # en: rows from top to bottom: z2 from high to low; columns from left to right: z1 from low to high (as on the map)
        # zh: 行自上而下：z2 由高到低；列自左向右：z1 由低到高（与分布图的方向一致）
        grid_z = torch.stack([torch.stack([axis_z, torch.full_like(axis_z, float(v))], 1) for v in axis_z.flip(0)])
        with torch.no_grad():
            manifold = torch.sigmoid(vae.decode(grid_z.reshape(-1, 2)))
        fig, ax = plt.subplots(figsize=(5.6, 5.6))
        show_images(manifold, nrow=15, ax=ax, title=T("The decoder over the latent plane: z1 → right, z2 → up\\n(grid at the prior's 3 %…97 % quantiles)",
                                                     "解码器在潜平面上的输出：z1 向右增大，z2 向上增大\\n（网格取先验的 3%…97% 分位数）"))
        plt.show()
        """
    ),
    md(
        en=r"""
        **The gradient estimators again, on MNIST.** Section 3.4's comparison on this VAE: the gradient of one
        held-out digit's ELBO with respect to its encoder outputs $(\mu, \log\sigma^2)$, 5,000 single-sample
        estimates each. There is no closed form here, but both estimators must agree on average:
        """,
        zh=r"""
        **再看梯度估计量，这次在 MNIST 上。** 在这个 VAE 上重复 3.4 节的比较：一张留出数字的 ELBO 对其编码器输出 $(\mu, \log\sigma^2)$ 的梯度，
        每种估计量各取 5,000 个单样本估计。这里没有闭式解，但两种估计量的平均值必须一致：
        """,
    ),
    code(
        """
        class BernoulliDecoder:
            # en: log p(x|z) of the trained VAE, in the interface gradient_samples() expects
            # zh: 训练好的 VAE 的 log p(x|z)，包装成 gradient_samples() 需要的接口
            def log_px_given_z(self, x, z):
                return log_likelihood(x, vae.decode(z))


        x_one = x_held[first[5]:first[5] + 1]
        with torch.no_grad():
            mu1, lv1 = vae.encode(x_one)
        for p_ in vae.parameters():
            p_.requires_grad_(False)
        g_rep, g_sf = gradient_samples(BernoulliDecoder(), x_one, mu1, lv1, n=5_000, seed=8)
        for p_ in vae.parameters():
            p_.requires_grad_(True)
        print(T("component     reparam. mean ± s.e.     score fn. mean ± s.e.     variance ratio",
                "分量          重参数化 均值 ± 标准误差   得分函数 均值 ± 标准误差   方差之比"))
        for j, name in enumerate(names):
            print(f"{name:11s} {float(g_rep[:, j].mean()):9.2f} ± {se(g_rep[:, j]):6.2f}"
                  f"      {float(g_sf[:, j].mean()):9.2f} ± {se(g_sf[:, j]):6.2f}"
                  f"      {float(g_sf[:, j].var() / g_rep[:, j].var()):9.0f}")
        """
    ),
    # --------------------------------------------------------------------------------------- IWAE
    md(
        en=r"""
        ## 3.8 How good is the ELBO? The importance-weighted bound

        The ELBO is a *bound*; to judge a model we want $\log p(x)$ itself. Burda et al. {cite:p}`burda2016iwae`
        tighten the bound by averaging $k$ importance weights $w_i = p_\theta(x\mid z_i)\,p(z_i)/q_\phi(z_i\mid x)$
        *inside* the logarithm:

        $$
        \mathcal L_k(x) = \mathbb E_{z_1,\dots,z_k \sim q_\phi(z\mid x)}\Big[\log \frac1k \sum_{i=1}^k w_i\Big],
        \qquad
        \mathrm{ELBO} = \mathcal L_1 \le \mathcal L_k \le \mathcal L_{k+1} \le \log p_\theta(x),
        \qquad \mathcal L_k \to \log p_\theta(x) \ (k\to\infty).
        $$

        The upper bound is Jensen's inequality again, since $\mathbb E\big[\frac1k\sum_i w_i\big] = p_\theta(x)$;
        the ordering in $k$ holds because the average of $k+1$ weights is itself an average of averages of
        $k$ of them. `iwae_bound(model, x, k)` returns a one-draw estimate of $\mathcal L_k$ per image.

        First on the linear-Gaussian model, where $\log p(x)$ is exact, with the shifted encoder of section 3.4
        (so that the gap is wide enough to see), averaging 1,000 independent estimates of each bound:
        """,
        zh=r"""
        ## 3.8 ELBO 有多准？重要性加权下界

        ELBO 只是一个*下界*；评判模型时，我们想要的是 $\log p(x)$ 本身。Burda 等人 {cite:p}`zh-burda2016iwae` 把 $k$ 个重要性权重
        $w_i = p_\theta(x\mid z_i)\,p(z_i)/q_\phi(z_i\mid x)$ 放到对数*里面*求平均，从而收紧了这个下界：

        $$
        \mathcal L_k(x) = \mathbb E_{z_1,\dots,z_k \sim q_\phi(z\mid x)}\Big[\log \frac1k \sum_{i=1}^k w_i\Big],
        \qquad
        \mathrm{ELBO} = \mathcal L_1 \le \mathcal L_k \le \mathcal L_{k+1} \le \log p_\theta(x),
        \qquad \mathcal L_k \to \log p_\theta(x) \ (k\to\infty).
        $$

        上界仍然来自詹森不等式，因为 $\mathbb E\big[\frac1k\sum_i w_i\big] = p_\theta(x)$；关于 $k$ 的单调性成立，是因为 $k+1$ 个权重的平均值，
        本身就是若干个“$k$ 个权重的平均值”的平均。`iwae_bound(model, x, k)` 为每张图像返回 $\mathcal L_k$ 的一次抽样估计。

        先在线性高斯模型上看，那里 $\log p(x)$ 是精确的。我们沿用 3.4 节平移过的编码器（让差距大到足以看清），并对每个下界的 1,000 个独立估计取平均：
        """,
    ),
    code(
        """
        ks = [1, 2, 5, 10, 100, 1000]
        with torch.no_grad():
            reps = 1000
            bound_k = {k: iwae_bound(lin_off, x_lin.repeat(reps, 1), k=k, generator=gen(10 + k)).view(reps, -1).mean(0)
                       for k in ks}
            elbo_off = lin_off.elbo(x_lin)
        print("              x1        x2        x3")
        print(f"{'ELBO':8s}", "".join(f"{v:10.3f}" for v in elbo_off.tolist()))
        for k in ks:
            print(f"{'L_' + str(k):8s}", "".join(f"{v:10.3f}" for v in bound_k[k].tolist()))
        print(f"{'log p(x)':8s}", "".join(f"{v:10.3f}" for v in log_px.tolist()))
        """
    ),
    md(
        en=r"""
        $\mathcal L_1$ matches the closed-form ELBO within sampling noise, each column climbs as $k$ grows, and no
        bound passes $\log p(x)$.

        **On held-out MNIST digits.** For the 2-D VAE we can do better than bounds: with $d = 2$ the integral
        $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$ can be evaluated by brute force on a grid of $z$ — the
        computation that is impossible for a 20-D latent space. Below: the negative ELBO and the negative IWAE
        bounds on all 1,000 held-out digits, and $-\log p_\theta(x)$ on grids of two resolutions (their agreement
        shows that the grid is fine enough). All numbers are nats per image for the checkpoint above (4,000
        offline training digits, the epochs printed in its card), on the 1,000 offline held-out digits.
        """,
        zh=r"""
        $\mathcal L_1$ 在抽样误差范围内与闭式解的 ELBO 相符；随着 $k$ 增大，每一列都在上升，而且没有一个下界超过 $\log p(x)$。

        **在留出的 MNIST 数字上。** 对二维 VAE，我们能做得比下界更好：由于 $d = 2$，积分 $p_\theta(x) = \int p_\theta(x\mid z)\,p(z)\,dz$
        可以在 $z$ 的网格上暴力计算——而对 20 维潜空间，这种计算是不可能的。下面给出全部 1,000 张留出数字上的负 ELBO 与负 IWAE 下界，
        以及在两种分辨率的网格上算出的 $-\log p_\theta(x)$（两者一致，说明网格足够细）。所有数字的单位都是奈特/图像，
        模型是上面的检查点（在 4,000 张离线训练数字上训练，轮数见其模型卡），数据是 1,000 张离线留出数字。
        """,
    ),
    code(
        """
        def log_px_on_grid(model, x, points=150, half_width=4.5):
            # en: log p(x) = log sum_grid p(x|z) p(z) dA, for every image at once (a matrix product per grid)
            # zh: log p(x) = log sum_grid p(x|z) p(z) dA，一次算出所有图像（每个网格一次矩阵乘法）
            axis = torch.linspace(-half_width, half_width, points)
            zg = torch.cartesian_prod(axis, axis)
            with torch.no_grad():
                logits = model.decode(zg).flatten(1)                              # (G, 784)
                log_px_z = x.flatten(1) @ logits.T - torch.nn.functional.softplus(logits).sum(1)  # (N, G)
                log_joint = log_px_z + Normal(0.0, 1.0).log_prob(zg).sum(1)
                return torch.logsumexp(log_joint, 1) + 2 * math.log(float(axis[1] - axis[0]))


        with torch.no_grad():
            elbo_draws = torch.stack([iwae_bound(vae, x_held, k=1, generator=gen(100 + r)) for r in range(20)])
            # en: per digit: the mean of 20 one-sample estimates
            # zh: 每个数字：20 次单样本估计的平均
            table = [("-ELBO", -elbo_draws.mean(0))]
            for k in (10, 100):
                table.append((f"-L_{k} (IWAE)", -iwae_bound(vae, x_held, k=k, generator=gen(11 + k))))
        table.append((T("-log p(x), grid 100²", "-log p(x)，100² 网格"), -log_px_on_grid(vae, x_held, points=100)))
        table.append((T("-log p(x), grid 150²", "-log p(x)，150² 网格"), -log_px_on_grid(vae, x_held, points=150)))
        print(T("held-out offline MNIST, 1,000 digits, nats/image:", "离线 MNIST 留出数据，1,000 张，单位：奈特/图像："))
        for label, values in table:
            print(f"  {label:22s} {float(values.mean()):7.2f}")
        gap = table[0][1] - table[-1][1]
        print(T(f"ELBO gap per digit: mean {float(gap.mean()):.1f}, median {float(gap.median()):.1f}, largest {float(gap.max()):.1f} nats",
                f"每个数字的 ELBO 差距：平均 {float(gap.mean()):.1f}，中位数 {float(gap.median()):.1f}，最大 {float(gap.max()):.1f} 奈特"))
        """
    ),
    md(
        en=r"""
        The ordering of section 3.8 holds on real data: the negative ELBO is the largest number, the IWAE bounds
        come down towards $-\log p_\theta(x)$ as $k$ grows, and the two grids agree. The gap between the ELBO
        and $\log p_\theta(x)$ — by derivation 2, the average $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$
        — is the price of the encoder's diagonal-Gaussian guess. On average it is small compared with
        $-\log p(x)$ itself, so the ELBO is a good, slightly pessimistic, score of this model; but the mean is
        well above the median, and the largest gap the cell prints shows that for a few digits the encoder's
        Gaussian misses where the posterior's mass really is. (The −ELBO row averages 20 one-sample estimates
        per digit; the held-out −ELBO of section 3.7 uses one, so the two differ a little.)
        """,
        zh=r"""
        3.8 节的大小顺序在真实数据上同样成立：负 ELBO 最大，随着 $k$ 增大，负 IWAE 下界逐步降向 $-\log p_\theta(x)$，两种网格的结果也相互吻合。
        ELBO 与 $\log p_\theta(x)$ 之间的差距——由推导二可知，就是 $\mathrm{KL}(q_\phi(z\mid x)\,\|\,p_\theta(z\mid x))$ 的平均值——
        是编码器用对角高斯去猜测后验所付出的代价。平均而言，它与 $-\log p(x)$ 本身相比很小，所以对这个模型来说，ELBO 是一个不错的、略偏悲观的评分；
        但平均值明显高于中位数，单元格打印的最大差距也表明，对少数数字，编码器的高斯分布没有找到后验质量真正所在的位置。
        （−ELBO 一行对每个数字取 20 次单样本估计的平均；3.7 节的留出 −ELBO 只用一次，所以两者略有差异。）
        """,
    ),
    # ---------------------------------------------------------------------------------- 3.9 prior hole
    md(
        en=r"""
        ## 3.9 The prior hole, and a prior fitted after training

        The decoder learns to draw digits where the training digits' codes lie. Those codes are samples of the
        **aggregate posterior**

        $$
        q_\phi(z) = \frac1N \sum_{i=1}^{N} q_\phi(z \mid x_i),
        $$

        the average of the encoder's Gaussians over the training set. The KL term pulls each $q_\phi(z\mid x_i)$
        towards $\mathcal N(0, I)$, but nothing makes their *average* equal to it: the latent map of section 3.7
        showed clusters with gaps between them. Where the prior puts mass and $q_\phi(z)$ puts little — a
        **hole** — the decoder was hardly ever trained, and a $z$ drawn from the prior decodes to a smudge
        between digits.

        The cure does not touch the decoder. **Ex-post density estimation** {cite:p}`ghosh2020rae` fits a
        density $p_\psi(z)$ to codes of the training digits after training and draws $z$ from it instead; Dai & Wipf
        {cite:p}`dai2019twostage` fit a second VAE for the same purpose. Here $p_\psi$ is a mixture of $K$
        full-covariance Gaussians, $p_\psi(z) = \sum_k w_k\,\mathcal N(z;\, m_k, \Sigma_k)$, fitted by EM
        (`LatentMixture` in `course_lib.models.vae`) to one draw $z_i \sim q_\phi(z\mid x_i)$ per training digit, so that
        it estimates $q_\phi(z)$ itself. The new model $z \sim p_\psi$, $x \mid z \sim p_\theta(x\mid z)$ is still a
        latent-variable model, and every bound of section 3.8 holds for it with $p_\psi$ in place of
        $\mathcal N(0, I)$:

        $$
        \log p(x) \;\ge\; \mathbb E\Big[\log \frac1k \sum_{j=1}^{k} \frac{p_\theta(x\mid z_j)\,p_\psi(z_j)}{q_\phi(z_j\mid x)}\Big],
        \qquad z_j \sim q_\phi(z\mid x),
        $$

        since Jensen's inequality never asked which prior it was. (The closed-form KL of section 3.3 is lost:
        there is none between a Gaussian and a mixture; the IWAE bound does not need it.) So the likelihood can
        judge the repair: a prior that only made samples prettier by hiding parts of the data would pay for it in
        $\log p(x)$ on held-out digits.

        The next cell does this for the 2-D VAE of section 3.7: it fits a 10-component mixture to its codes,
        draws the codes with the prior and the mixture over them, and measures how recognisable each prior's
        samples are and the bound under each prior on the 1,000 held-out digits, paired per digit.
        """,
        zh=r"""
        ## 3.9 先验空洞，以及训练后拟合的先验

        解码器学会的是在训练数字的编码所在之处画出数字。这些编码是**聚合后验**

        $$
        q_\phi(z) = \frac1N \sum_{i=1}^{N} q_\phi(z \mid x_i)
        $$

        的样本，也就是编码器的各个高斯分布在训练集上的平均。KL 项把每个 $q_\phi(z\mid x_i)$ 都拉向 $\mathcal N(0, I)$，
        却没有任何力量让它们的*平均*恰好等于 $\mathcal N(0, I)$：第 3.7 节的潜空间分布图里，各个类簇之间留有空隙。
        先验给了质量、$q_\phi(z)$ 却几乎没有质量的地方，就是一个**空洞**——解码器在那里几乎从未受过训练，从先验抽到那里的 $z$
        解码出来就是介于几个数字之间的一团模糊。

        补救的办法不必改动解码器。**事后密度估计** {cite:p}`zh-ghosh2020rae` 在训练结束后，对训练数字的编码拟合一个密度 $p_\psi(z)$，
        改从它抽取 $z$；Dai 与 Wipf {cite:p}`zh-dai2019twostage` 为同一目的又拟合了第二个 VAE。这里的 $p_\psi$ 是 $K$ 个全协方差高斯分布的混合：
        $p_\psi(z) = \sum_k w_k\,\mathcal N(z;\, m_k, \Sigma_k)$，用 EM 算法（`course_lib.models.vae` 中的 `LatentMixture`）
        拟合到每张训练数字的一次抽样 $z_i \sim q_\phi(z\mid x_i)$ 上，这样它估计的正是 $q_\phi(z)$ 本身。新模型
        $z \sim p_\psi$、$x \mid z \sim p_\theta(x\mid z)$ 仍然是潜变量模型，第 3.8 节的每个下界把 $\mathcal N(0, I)$ 换成 $p_\psi$ 后照样成立：

        $$
        \log p(x) \;\ge\; \mathbb E\Big[\log \frac1k \sum_{j=1}^{k} \frac{p_\theta(x\mid z_j)\,p_\psi(z_j)}{q_\phi(z_j\mid x)}\Big],
        \qquad z_j \sim q_\phi(z\mid x),
        $$

        因为詹森不等式从来没有问过先验是哪一个。（第 3.3 节的 KL 闭式解没有了：高斯分布与混合分布之间不存在闭式的 KL；
        而 IWAE 下界用不着它。）于是可以让似然来评判这次补救：如果一个先验只是靠藏起一部分数据来让样本更好看，
        它就要在留出数字的 $\log p(x)$ 上付出代价。

        下一个单元格对第 3.7 节的二维 VAE 做这件事：对它的编码拟合一个 10 分量的混合分布，把编码连同先验与混合分布一起画出来，
        并测量两种先验的样本各有多容易辨认，以及在 1,000 张留出数字上、两种先验下的下界（逐张数字配对比较）。
        """,
    ),
    code(
        """
        import copy

        from course_lib.evaluator import coverage_over_draws
        from course_lib.notebook import pad
        from course_lib.stats import bootstrap_interval

        # en: a copy of the 2-D VAE with a fitted prior (the original keeps sampling from N(0, I))
        # zh: 给二维 VAE 的一个副本拟合先验（原模型仍从 N(0, I) 采样）
        vae_fitted = copy.deepcopy(vae)
        mixture = vae_fitted.fit_prior(x_train, 10, seed=0)
        with torch.no_grad():
            mu_train, logvar_train = vae.encode(x_train)
            codes = reparameterize(mu_train, logvar_train, gen(0))
            # en: the mixture's densest regions: the density above which 50% and 90% of the training codes lie
            # zh: 混合分布最密的区域：分别有 50% 和 90% 的训练编码处在其上的密度
            levels = torch.quantile(mixture.log_prob(codes), torch.tensor([0.1, 0.5])).tolist()

        fig, axes = plt.subplots(1, 3, figsize=(12.5, 4.2), gridspec_kw={"width_ratios": [1.25, 1, 1]})
        axis = torch.linspace(-4, 4, 200)
        grid = torch.cartesian_prod(axis, axis)
        with torch.no_grad():
            log_density = mixture.log_prob(grid).reshape(200, 200).T
        axes[0].scatter(codes[:, 0], codes[:, 1], c=y_train, cmap="tab10", s=2, vmin=-0.5, vmax=9.5, alpha=0.5)
        axes[0].contour(axis, axis, log_density, levels=levels, colors="k", linewidths=1.2, linestyles="solid")
        t = np.linspace(0, 2 * np.pi, 200)
        for r in (1, 2):
            axes[0].plot(r * np.cos(t), r * np.sin(t), "--", color="tab:red", lw=1.5)
        axes[0].set_aspect("equal")
        axes[0].set_xlim(-4, 4)
        axes[0].set_ylim(-4, 4)
        axes[0].set_title(T("codes, N(0, I) (red), fitted mixture (black)", "编码、N(0, I)（红）与拟合的混合分布（黑）"), fontsize=10)
        with torch.no_grad():
            show_images(vae.sample(36, generator=gen(3)), nrow=6, ax=axes[1], title=T("z from N(0, I)", "z 取自 N(0, I)"))
            show_images(vae_fitted.sample(36, generator=gen(3)), nrow=6, ax=axes[2], title=T("z from the mixture", "z 取自混合分布"))
        fig.tight_layout()
        plt.show()

        # en: chapter 5's classifier, loaded at the top of the chapter
        # zh: 第 5 章的分类器，已在本章开头加载
        judged = {}
        for name, standard in ((T("z from N(0, I)", "z 取自 N(0, I)"), True), (T("z from the mixture", "z 取自混合分布"), False)):
            with torch.no_grad():
                draws = [vae_fitted.sample(1000, generator=gen(10 + s), standard_prior=standard) for s in range(5)]
            judged[name] = coverage_over_draws(draws, classifier)
            c = judged[name]
            print(f"{pad(name, 20, '<')}" + T(f"recognisable {c.recognisable.format(3)}, KL {c.kl_to_uniform.format(3)}, digits {c.classes_present}",
                                               f"可辨认占比 {c.recognisable.format(3)}，KL {c.kl_to_uniform.format(3)}，数字数 {c.classes_present}"))
        a, b = judged.values()
        v = verdict(b.recognisable, a.recognisable, higher_is_better=True, names=tuple(reversed(judged)))
        print(T("verdict: more recognisable:", "结论：更容易辨认的是："), v.winner if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))

        with torch.no_grad():
            bound = {standard: iwae_bound(vae_fitted, x_held, k=100, generator=gen(7), standard_prior=standard) for standard in (True, False)}
        gain = bootstrap_interval((bound[False] - bound[True]).double().numpy(), seed=0)
        print(T(f"-IWAE (k = 100) on the 1,000 held-out digits: N(0, I) {-float(bound[True].mean()):.2f}, mixture {-float(bound[False].mean()):.2f} nats",
                f"1,000 张留出数字上的 -IWAE（k = 100）：N(0, I) {-float(bound[True].mean()):.2f}，混合分布 {-float(bound[False].mean()):.2f} 奈特"))
        print(T(f"the mixture's gain per digit: {gain.format(2)} nats (95% bootstrap interval)", f"混合分布使每张数字的下界提高：{gain.format(2)} 奈特（自助法 95% 置信区间）"))
        """
    ),
    md(
        en=r"""
        The red circles enclose 39% and 86% of the prior's mass; the black lines enclose the mixture's densest
        regions, which hold 50% and 90% of the training codes. The two do not agree: the codes spread wider
        than the prior and bunch into clusters, while the prior piles its mass up in the middle, where several
        classes meet, and its draws there decode to the smudges of the middle panel. The verdict line says which
        prior's samples the classifier recognises more often; even so, the digits column shows how few digits
        this model draws recognisably: a 2-D code cannot keep every digit apart, and no prior can make a decoder
        draw what it never learnt to draw. The last line is the test the argument above asked for: the bound on
        held-out digits, paired per digit, under the fitted prior against $\mathcal N(0, I)$.

        For the full-MNIST model at the top of the chapter the same two steps — a mixture fitted to one code per
        training digit, then the bound under both priors on digits it never saw — were run by its training
        command (`--prior-components`), and the card records both.
        """,
        zh=r"""
        两个红色圆圈分别圈出先验 39% 和 86% 的质量；黑线圈出混合分布最密的区域，其中分别有 50% 和 90% 的训练编码。两者并不一致：
        编码散得比先验更开，又聚成一簇一簇；先验却把质量堆在中间——几类数字交汇的地方——从那里抽出的点解码出来，就是中间那幅图里的模糊团块。
        结论一行给出哪种先验的样本更常被分类器认出来；即便如此，数字数一列也表明这个模型能画得让人认出的数字很少：
        二维编码无法把每个数字都分开，而任何先验都不能让解码器画出它从没学会画的东西。最后一行就是上面的论证所要求的检验：在留出数字上、逐张配对地比较拟合先验与 $\mathcal N(0, I)$ 下的下界。

        对本章开头那个在完整 MNIST 上训练的模型，同样的两步——对每张训练数字的一个编码拟合混合分布，再在它从未见过的数字上算出两种先验下的下界——
        都由它的训练命令（`--prior-components`）完成，模型卡里两个结果都有。
        """,
    ),
    md(
        en=r"""
        ## Summary

        * The decoder maps a **sampled** latent $z$ to the parameters of $p_\theta(x\mid z)$; generating means
          $z \sim \mathcal N(0, I)$, then decode.
        * The VAE loss is the **negative ELBO**: reconstruction **plus** KL. It upper-bounds $-\log p(x)$, and
          its gap is $\mathrm{KL}(q\,\|\,p(z\mid x))$ — checked exactly on a linear-Gaussian model.
        * The KL to $\mathcal N(0, I)$ has a closed form; reparameterised gradients have far lower variance than
          score-function gradients on the same objective.
        * $\beta$ trades reconstruction against regularity; **$\beta = 0$ (no KL) is an autoencoder, not a
          generative model**: its prior samples are the least data-like.
        * $\mathcal L_k$ (IWAE) tightens the ELBO towards $\log p(x)$; in 2-D we checked it against the integral
          itself.
        * The aggregate posterior $q_\phi(z)$ does not fill $\mathcal N(0, I)$: prior draws that land in its
          holes decode to smudges. A mixture fitted to the training codes after training draws where the decoder
          was trained, and the IWAE bound under that prior checks that the repair costs no likelihood.

        ## Exercises

        1. Derive $\mathrm{KL}\big(\mathcal N(\mu_1, \sigma_1^2)\,\|\,\mathcal N(\mu_2, \sigma_2^2)\big)$ in one
           dimension and check it against `torch.distributions.kl_divergence`. Which special case is
           `gaussian_kl`?
        2. Give the score-function estimator a **baseline**: use $(f(z) - b)\,\nabla\log q(z)$ with $b$ the mean of
           $f$ over the *other* samples. Why does it stay unbiased? Measure its variance on the linear-Gaussian
           model of section 3.4.
        3. Show that $\mathcal L_k \le \log p(x)$ and that $\mathbb E[\mathcal L_1]$ is the ELBO. Using the
           section 3.8 table, how many nats of the ELBO gap does $k = 100$ recover for the MNIST VAE?
        4. Train a 2-D VAE with $\beta = 0$ (`train_vae(..., beta=0.0)`, 10 epochs) and draw its latent map as in
           section 3.7. Where do its codes lie compared with the prior's dashed circles, and what does that mean for
           `model.sample`?
        5. Train `MLPVAE(z_dim=8, hidden=200)` with `likelihood="gaussian"` and `sigma` 0.05, 0.3 and 1. Which
           $\beta$ of section 3.6 does each resemble, and why?
        """,
        zh=r"""
        ## 小结

        * 解码器把一个**采样得到的**潜变量 $z$ 映射为 $p_\theta(x\mid z)$ 的参数；生成就是先抽取 $z \sim \mathcal N(0, I)$，再解码。
        * VAE 的损失是**负 ELBO**：重构项**加上** KL 项。它是 $-\log p(x)$ 的上界，差距为 $\mathrm{KL}(q\,\|\,p(z\mid x))$——我们在线性高斯模型上精确地验证了这一点。
        * 到 $\mathcal N(0, I)$ 的 KL 有闭式解；在同一个目标上，重参数化梯度的方差远低于得分函数梯度。
        * $\beta$ 在重构与规整之间权衡；**$\beta = 0$（没有 KL）是自编码器，而不是生成模型**：它的先验样本最不像数据。
        * $\mathcal L_k$（IWAE）把 ELBO 向 $\log p(x)$ 收紧；在二维情形下，我们直接用积分本身验证了它。
        * 聚合后验 $q_\phi(z)$ 填不满 $\mathcal N(0, I)$：落进其空洞的先验抽样会解码成模糊的一团。训练后对训练编码拟合一个混合分布，
          就能在解码器受过训练的地方抽样；而在这个先验下算出的 IWAE 下界可以检验：这次补救没有以似然为代价。

        ## 练习

        1. 推导一维情形下的 $\mathrm{KL}\big(\mathcal N(\mu_1, \sigma_1^2)\,\|\,\mathcal N(\mu_2, \sigma_2^2)\big)$，并用 `torch.distributions.kl_divergence` 核对。
           `gaussian_kl` 是它的哪种特例？
        2. 给得分函数估计量加一个**基线**：使用 $(f(z) - b)\,\nabla\log q(z)$，其中 $b$ 是*其余*样本上 $f$ 的平均值。为什么它仍然是无偏的？
           在 3.4 节的线性高斯模型上测量它的方差。
        3. 证明 $\mathcal L_k \le \log p(x)$，并说明 $\mathbb E[\mathcal L_1]$ 就是 ELBO。根据 3.8 节的表格，对 MNIST 的 VAE，$k = 100$ 收回了 ELBO 差距中的多少奈特？
        4. 用 $\beta = 0$ 训练一个二维 VAE（`train_vae(..., beta=0.0)`，10 轮），并像 3.7 节那样画出潜空间分布图。
           与先验的虚线圆相比，它的编码落在哪里？这对 `model.sample` 意味着什么？
        5. 用 `likelihood="gaussian"`、`sigma` 分别取 0.05、0.3 和 1 训练 `MLPVAE(z_dim=8, hidden=200)`。它们分别像 3.6 节中哪个 $\beta$ 的结果？为什么？
        """,
    ),
    code(
        """
        # en: Self-checks: solve an exercise in a cell of your own, then run check(n) on it (right, close or wrong, with a hint).
        # zh: 自测：在自己的单元格里做完练习 n，再运行 check(n)（它会给出“正确”“接近”或“还不对”的判断，并附上提示）。
        from course_lib.exercises import self_checks

        check = self_checks(3, globals(), lang=T("en", "zh"))
        check()
        """
    ),
    solution(
        1,
        en=r"""
        $\mathrm{KL} = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12$.
        With $\mu_2 = 0$, $\sigma_2 = 1$ it is $\frac12(\mu_1^2 + \sigma_1^2 - 1 - \log\sigma_1^2)$, one term of
        `gaussian_kl`.
        """,
        zh=r"""
        $\mathrm{KL} = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12$。
        取 $\mu_2 = 0$、$\sigma_2 = 1$，就得到 $\frac12(\mu_1^2 + \sigma_1^2 - 1 - \log\sigma_1^2)$，即 `gaussian_kl` 中的一项。
        """,
        code=r"""
        from torch.distributions import kl_divergence
        m1, s1, m2, s2 = 0.3, 0.7, -1.0, 1.5
        by_hand = math.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5
        print(by_hand, float(kl_divergence(Normal(m1, s1), Normal(m2, s2))))
        """,
        grade=r"""
        # en: The tests read `m1, s1, m2, s2` (two different Gaussians) and `by_hand`, your closed form of their KL.
        # zh: 测试读取 `m1, s1, m2, s2`（两个不同的高斯分布）和 `by_hand`：你推导出的它们的 KL 闭式解。
        ### BEGIN HIDDEN TESTS
        from scipy.stats import norm
        assert (m1, s1) != (m2, s2) and min(s1, s2) > 0, T("pick two different Gaussians", "请选两个不同的高斯分布")
        # en: KL(p || q) = integral of p (log p - log q), on a grid wide enough for p
        # zh: KL(p || q) = p (log p - log q) 的积分，在足以覆盖 p 的网格上计算
        u = np.linspace(m1 - 14 * s1, m1 + 14 * s1, 200_001)
        lp, lq = norm.logpdf(u, m1, s1), norm.logpdf(u, m2, s2)
        integral = np.trapezoid(np.exp(lp) * (lp - lq), u)
        assert abs(float(by_hand) - integral) < 1e-6 * max(1.0, integral), T(
            f"by_hand = {float(by_hand):.6f}, but the KL is {integral:.6f}", f"by_hand = {float(by_hand):.6f}，但 KL 是 {integral:.6f}")
        ### END HIDDEN TESTS
        """,
        written=1,
    ),
    solution(
        2,
        en=r"""
        $\mathbb E_q[b\,\nabla\log q] = b\,\nabla\!\int q = 0$ for any $b$ that does not depend on the sample
        itself, hence the leave-one-out mean. The variance ratio to the reparameterised estimator drops from
        tens to a few, but stays above one:
        """,
        zh=r"""
        只要 $b$ 不依赖于样本本身，就有 $\mathbb E_q[b\,\nabla\log q] = b\,\nabla\!\int q = 0$，所以要用“留一”平均。与重参数化估计量的方差之比从几十降到几倍，但仍大于一：
        """,
        code=r"""
        g = gen(20)
        n = 20_000
        mu_s = mu0.detach().repeat(n, 1).requires_grad_(True)
        lv_s = lv0.detach().repeat(n, 1).requires_grad_(True)
        z = reparameterize(mu_s, lv_s, generator=g).detach()
        f = elbo_integrand(lin_off, x0.expand(n, -1), z, mu_s, lv_s).detach()
        baseline = (f.sum() - f) / (n - 1)
        ((f - baseline) * log_q(z, mu_s, lv_s)).sum().backward()
        g_base = torch.cat([mu_s.grad, lv_s.grad], 1)
        g_rep, g_sf = gradient_samples(lin_off, x0, mu0, lv0, n=n, seed=3)
        print(exact)
        print(g_base.mean(0), g_base.var(0) / g_rep.var(0), g_sf.var(0) / g_rep.var(0))
        """,
        grade=r"""
        # en: The tests read `g_base`: one row of gradient estimates w.r.t. (mu, logvar) per sample, on `lin_off` at `x0`.
        # zh: 测试读取 `g_base`：在 `lin_off` 和 `x0` 上，每个样本一行对 (mu, logvar) 的梯度估计。
        assert g_base.shape[1] == exact.shape[0], T("one column per component of (mu, logvar)", "(mu, logvar) 的每个分量一列")
        ### BEGIN HIDDEN TESTS
        est = g_base.double()
        se = est.std(0) / math.sqrt(len(est))
        z_scores = ((est.mean(0) - exact.double()) / se).abs()
        assert len(est) >= 1000 and bool((z_scores < 5).all()), T(
            f"the estimator is biased: its mean is {z_scores.max():.1f} standard errors from the exact gradient",
            f"估计量有偏：其均值与精确梯度相差 {z_scores.max():.1f} 个标准误差")
        # en: the baseline must cut the score function's variance (the chapter's g_sf, same model and point)
        # zh: 基线必须降低得分函数估计量的方差（与本章的 g_sf 比较：同一模型、同一点）
        assert bool((est.var(0) < g_sf.double().var(0)).all()), T("the baseline does not reduce the variance",
                                                                  "基线没有降低方差")
        ### END HIDDEN TESTS
        """,
        points=2,
        written=1,
    ),
    solution(
        3,
        en=r"""
        By Jensen, $\mathbb E\big[\log\frac1k\sum_i w_i\big] \le \log \mathbb E\big[\frac1k\sum_i w_i\big] =
        \log p(x)$, because $\mathbb E_q[w_i] = \int p(x\mid z)p(z)\,dz = p(x)$. For $k = 1$,
        $\mathbb E[\log w_1]$ is the ELBO by definition. Of the gap $\log p(x) - \mathcal L_1$ (the grid's
        $-\log p(x)$ stands in for the exact value), $k = 100$ recovers $\mathcal L_{100} - \mathcal L_1$ nats:
        """,
        zh=r"""
        由詹森不等式，$\mathbb E\big[\log\frac1k\sum_i w_i\big] \le \log \mathbb E\big[\frac1k\sum_i w_i\big] = \log p(x)$，
        因为 $\mathbb E_q[w_i] = \int p(x\mid z)p(z)\,dz = p(x)$。$k = 1$ 时，$\mathbb E[\log w_1]$ 按定义就是 ELBO。
        在差距 $\log p(x) - \mathcal L_1$ 中（用网格算出的 $-\log p(x)$ 代替精确值），$k = 100$ 收回了 $\mathcal L_{100} - \mathcal L_1$ 奈特：
        """,
        code=r"""
        means = {label: float(v.mean()) for label, v in table}
        neg_elbo, neg_l100, neg_log_px = means["-ELBO"], means["-L_100 (IWAE)"], float(table[-1][1].mean())
        gap, recovered = neg_elbo - neg_log_px, neg_elbo - neg_l100
        print(T(f"ELBO gap {gap:.2f} nats; k = 100 recovers {recovered:.2f} nats of it ({recovered / gap:.0%})",
                f"ELBO 差距 {gap:.2f} 奈特；k = 100 收回了其中的 {recovered:.2f} 奈特（{recovered / gap:.0%}）"))
        """,
        grade=r"""
        # en: The tests read `gap` (the ELBO gap of section 3.8's table, in nats) and `recovered` (what k = 100 recovers of it).
        # zh: 测试读取 `gap`（3.8 节表格中的 ELBO 差距，单位奈特）和 `recovered`（k = 100 收回的部分）。
        ### BEGIN HIDDEN TESTS
        rows = {label: float(v.double().mean()) for label, v in table}
        want_recovered = rows["-ELBO"] - rows["-L_100 (IWAE)"]
        # en: either grid's -log p(x) stands in for the exact value
        # zh: 两种网格的 -log p(x) 都可以代替精确值
        want_gaps = [rows["-ELBO"] - float(v.double().mean()) for label, v in table[-2:]]
        assert abs(float(recovered) - want_recovered) < 0.01, T(
            f"recovered = {float(recovered):.2f}, but -ELBO minus -L_100 is {want_recovered:.2f} nats",
            f"recovered = {float(recovered):.2f}，但 -ELBO 减 -L_100 是 {want_recovered:.2f} 奈特")
        assert min(abs(float(gap) - w) for w in want_gaps) < 0.01, T(
            "`gap` is not -ELBO minus -log p(x) of the table", "`gap` 不是表中 -ELBO 减 -log p(x)")
        assert 0 < float(recovered) < float(gap), T("k = 100 recovers part of the gap, not more", "k = 100 只收回差距的一部分")
        ### END HIDDEN TESTS
        """,
        written=1,
    ),
    solution(
        4,
        en="",
        zh="",
        code=r"""
        torch.manual_seed(0)
        ae = MLPVAE(z_dim=2, hidden=256)
        train_vae(ae, x_train, epochs=10, beta=0.0, device="cpu")
        with torch.no_grad():
            mu_ae, lv_ae = ae.encode(x_held)
        plt.scatter(mu_ae[:, 0], mu_ae[:, 1], c=y_held, cmap="tab10", s=4)
        plt.show()
        print(mu_ae.abs().max(), (0.5 * lv_ae).exp().median())
        """,
        en_after=r"""
        Without the KL term nothing holds the codes near the origin: they spread over a range many times wider
        than the prior's and the encoder's standard deviations shrink towards zero (the noise only hurts
        reconstruction). Most of the prior's mass then lands in regions no training digit was mapped to, so
        `model.sample` decodes places the decoder never learned.
        """,
        zh_after=r"""
        没有 KL 项，就没有任何东西把编码约束在原点附近：它们散布的范围比先验宽许多倍，编码器的标准差也缩向零（噪声只会损害重构）。
        于是先验的大部分质量都落在没有任何训练数字被映射到的区域，`model.sample` 解码的正是解码器从未学过的地方。
        """,
        grade=r"""
        # en: The tests read `mu_ae` and `lv_ae`: the encoder's means and log-variances of the held-out digits, for the beta = 0 model.
        # zh: 测试读取 `mu_ae` 和 `lv_ae`：beta = 0 模型对留出数字编码得到的均值和对数方差。
        assert tuple(mu_ae.shape) == (len(x_held), 2) and tuple(lv_ae.shape) == (len(x_held), 2), T(
            "one 2-D code per held-out digit", "每个留出数字一个二维编码")
        ### BEGIN HIDDEN TESTS
        # en: trained the same way with beta = 1, 90% of the codes lie within radius 4 and the median sd is 0.2;
        # en: with beta = 0 they spread to radius 12 and the sd shrinks to 0.02
        # zh: 同样训练、beta = 1 时，90% 的编码落在半径 4 以内，标准差的中位数为 0.2；
        # zh: beta = 0 时编码散布到半径 12，标准差缩到 0.02
        radius = mu_ae.double().norm(dim=1)
        sd = (0.5 * lv_ae.double()).exp()
        assert float(radius.quantile(0.9)) > 6, T("these codes stay near the origin: was the KL term dropped (beta = 0)?",
                                                   "这些编码仍在原点附近：是否去掉了 KL 项（beta = 0）？")
        assert float(sd.median()) < 0.1, T("the encoder's standard deviations did not shrink: was the KL term dropped?",
                                           "编码器的标准差没有缩小：是否去掉了 KL 项？")
        ### END HIDDEN TESTS
        """,
        written=1,
    ),
    solution(
        5,
        en=r"""
        Up to the factor $2\sigma^2$ and a constant, the Gaussian loss is squared error $+\,2\sigma^2\,\mathrm{KL}$.
        With $\sigma = 0.05$ the KL weight is $0.005$: almost an autoencoder, so, as for $\beta = 0$, the KL is
        large and the samples lie far from every training digit. With $\sigma = 0.3$ the weight is $0.18$, which
        puts the reconstruction term on about the scale of the Bernoulli one, and the KL and the sample distance
        come out close to those of $\beta = 1$. With $\sigma = 1$ the KL falls to a few nats, as with
        $\beta = 4$: the pull of a large $\beta$.
        """,
        zh=r"""
        除去因子 $2\sigma^2$ 和一个常数，高斯损失就是平方误差 $+\,2\sigma^2\,\mathrm{KL}$。$\sigma = 0.05$ 时 KL 的权重只有 $0.005$：
        几乎就是自编码器，所以和 $\beta = 0$ 一样，KL 很大，样本离所有训练数字都很远。$\sigma = 0.3$ 时权重为 $0.18$，
        这使重构项与伯努利重构项的量级大致相当，KL 和样本距离也都与 $\beta = 1$ 的结果接近。$\sigma = 1$ 时 KL 降到只有几个奈特，与 $\beta = 4$ 相仿：这就是大 $\beta$ 的拉力。
        """,
        code=r"""
        for s in (0.05, 0.3, 1.0):
            torch.manual_seed(0)
            mg = MLPVAE(z_dim=8, hidden=200)
            train_vae(mg, x_train, epochs=5, batch_size=64, likelihood="gaussian", sigma=s, device="cpu")
            ev = evaluate_vae(mg, x_held, likelihood="gaussian", sigma=s)
            with torch.no_grad():
                samples = mg.sample(200, generator=gen(5)).flatten(1)
                to_train = torch.cdist(samples, x_train.flatten(1)).min(1).values.mean()
            print(s, round(ev["kl"], 1), round(float(to_train), 2))
        """,
        points=2,
    ),
    md(
        en=r"""
        ## References

        Kingma & Welling {cite:p}`kingma2014vae` and Rezende, Mohamed & Wierstra {cite:p}`rezende2014stochastic`
        introduced the VAE and the reparameterisation trick; Williams {cite:p}`williams1992reinforce` the
        score-function (REINFORCE) estimator; Burda, Grosse & Salakhutdinov {cite:p}`burda2016iwae` the
        importance-weighted bound; Higgins et al. {cite:p}`higgins2017betavae` the β-VAE; Loaiza-Ganem &
        Cunningham {cite:p}`loaizaganem2019continuous` discuss Bernoulli likelihoods on grey-level pixels. See
        the [references page](../../book/en/references.md) for the full bibliography.
        """,
        zh=r"""
        ## 参考文献

        Kingma 与 Welling {cite:p}`zh-kingma2014vae`，以及 Rezende、Mohamed 与 Wierstra {cite:p}`zh-rezende2014stochastic` 提出了 VAE 和重参数化技巧；
        Williams {cite:p}`zh-williams1992reinforce` 提出了得分函数（REINFORCE）估计量；Burda、Grosse 与 Salakhutdinov {cite:p}`zh-burda2016iwae`
        提出了重要性加权下界；Higgins 等人 {cite:p}`zh-higgins2017betavae` 提出了 β-VAE；Loaiza-Ganem 与 Cunningham
        {cite:p}`zh-loaizaganem2019continuous` 讨论了在灰度像素上使用伯努利似然的问题。完整的参考文献列表见[参考文献页](../../book/zh/references.md)。
        """,
    ),
]
