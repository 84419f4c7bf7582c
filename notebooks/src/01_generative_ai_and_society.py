"""Chapter 1: generative AI and society — what a generative model is, and privacy, fairness, transparency and
accountability, each shown by a small computation; the regulatory landscape as dated, cited facts."""
from twins import code, md, objectives, solution

CELLS = [
    # ------------------------------------------------------------------ introduction
    md(
        en=r"""
        # 1 · Generative AI and society

        A **generative model** learns a probability distribution $p(x)$ from examples and then draws *new*
        examples from it: new images, new sentences, new molecules. That one ability is what the rest of this book
        builds, chapter by chapter, and it is also what raises the questions of this chapter. A model that can
        produce content can reproduce the data it was trained on (**privacy**), can reproduce the skew of that
        data (**fairness and bias**), can be hard to inspect (**transparency**), and produces content whose
        origin someone must be able to establish and answer for (**accountability**).

        This chapter treats each of these four concerns the way the mathematical chapters treat a formula: it
        states the idea, and then *measures* it on a model small enough to fit in a cell. By the end you will have

        * fitted a generative model and sampled from it, and seen where the book treats each family of models;
        * measured memorisation by nearest-neighbour distances, and run a differentially private query;
        * watched a skewed training set produce a skewed generator, and computed group metrics with `fairlearn`;
        * compared an interpretable classifier with an opaque one, and put an explanation method to a sanity check;
        * written a model card, embedded and detected a watermark, and measured how easily it breaks;
        * read the main regulations of China, the EU and the US as dated facts.

        The code uses scikit-learn for the small models of this chapter, `fairlearn` for group metrics,
        `captum` for explanations and two small modules of `course_lib`, `privacy` and `watermark`.
        """,
        zh=r"""
        # 1 · 生成式人工智能与社会

        **生成模型**从样本中学习一个概率分布 $p(x)$，再从中抽取*新的*样本：新的图像、新的句子、新的分子。本书后面各章一步步搭建的正是这种能力，
        而本章要讨论的问题也恰恰由它引出。一个能够生成内容的模型，可能把训练数据原样复现出来（**隐私**），可能把数据中的偏斜一并复现（**公平性与偏差**），
        可能难以检查其内部（**透明度**），而它生成的内容，必须有人能够查明来源并为之负责（**问责**）。

        本章对待这四个问题的方式，与数学各章对待公式的方式相同：先讲清概念，再在一个小到能装进一个单元格的模型上*测量*它。读完本章，你将：

        * 拟合一个生成模型并从中采样，了解本书在哪一章讲哪一类模型；
        * 用最近邻距离测量“记忆”，并运行一个满足差分隐私的查询；
        * 亲眼看到偏斜的训练集如何产生偏斜的生成器，并用 `fairlearn` 计算分组指标；
        * 比较一个可解释的分类器和一个不透明的分类器，并对一种解释方法做合理性检验；
        * 编写一张模型卡，嵌入并检测一个水印，并测量它有多容易被破坏；
        * 以带日期的事实，了解中国、欧盟和美国的主要监管规定。

        本章的小模型用 scikit-learn 实现，分组指标用 `fairlearn`，解释方法用 `captum`，另外还用到 `course_lib` 的两个小模块 `privacy` 和 `watermark`。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            "define a generative model as a learned distribution $p(x)$ that can be sampled, and place GANs, VAEs, autoregressive models and diffusion models in that frame;",
            "measure memorisation, and say what the ε of differential privacy guarantees (the Laplace mechanism, composition);",
            "measure a classifier's group gaps with `fairlearn`, and say what a mitigation such as equalised odds or demographic parity trades away;",
            "set an interpretable model beside an opaque one, and put a saliency explanation through a sanity check;",
            "write a model card, and measure which edits a watermark survives;",
            "date the main rules: China's Interim Measures for generative AI services, the EU AI Act, NIST's AI RMF 1.0.",
        ],
        zh=[
            "把生成模型定义为可以从中采样的、学到的分布 $p(x)$，并在这一框架下认识生成对抗网络、变分自编码器、自回归模型和扩散模型；",
            "测量模型的记忆，并说明差分隐私中的 ε 保证了什么（拉普拉斯机制、组合）；",
            "用 `fairlearn` 测量分类器在各群体之间的差距，并说明均等几率、人口统计均等这类缓解方法要付出什么代价；",
            "把可解释的模型和不透明的模型放在一起比较，并对显著性图做合理性检验；",
            "撰写模型卡，并测量水印能经受住哪些修改；",
            "说出主要法规的时间：我国《生成式人工智能服务管理暂行办法》、欧盟《人工智能法》、美国 NIST《人工智能风险管理框架 1.0》。",
        ],
        chapters=(0,),
        maths_en="probability: distributions, sampling, conditional probability, the exponential function; no calculus is needed.",
        maths_zh="概率：分布、采样、条件概率，以及指数函数；不需要微积分。",
    ),
    code(
        """
        import io
        import json
        import tempfile
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd
        import threadpoolctl
        import torch
        import torch.nn.functional as F
        from scipy.stats import multivariate_normal, spearmanr
        from sklearn.decomposition import PCA
        from sklearn.mixture import GaussianMixture

        import course_lib
        from course_lib.notebook import pad
        from course_lib import load_offline_mnist, show_images
        from course_lib.metrics import class_histogram
        from course_lib.models.classifier import accuracy
        from course_lib.plotting import slider_figure
        from course_lib.responsible.privacy import laplace_scale, memorisation_ratio, nearest_neighbour_distance, noisy_count
        from course_lib.seed import make_generator
        from course_lib.responsible.watermark import detect_watermark, embed_watermark, false_positive_bound, watermark_score

        # en: Every chapter starts like this: fixed seeds, fonts that can draw Chinese, PNG figures.
        # zh: 每一章都以此开头：固定随机种子、设置能显示中文的字体、图像输出为 PNG。
        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        # en: The models of this chapter are tiny: one CPU thread runs them as fast as several, is not slowed down by
        # en: other programs competing for the cores, and gives the same rounding on every machine.
        # zh: 本章的模型都很小：单个 CPU 线程跑得和多线程一样快，不会因其他程序争抢 CPU 核而变慢，而且在每台机器上的舍入结果都相同。
        torch.set_num_threads(1)
        threadpoolctl.threadpool_limits(1)
        x_train, y_train = load_offline_mnist("train")
        x_held, y_held = load_offline_mnist("heldout")
        print(T("training part:", "训练部分："), tuple(x_train.shape), T("held-out part:", "留出部分："), tuple(x_held.shape))
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    # ------------------------------------------------------------------ what a generative model is
    md(
        en=r"""
        ## What a generative model is

        Take data $x_1, \dots, x_n$ drawn from an unknown distribution $p_\text{data}$. A generative model is a
        family of distributions $p_\theta$ with two abilities:

        1. **learn**: choose $\theta$ so that $p_\theta$ is close to $p_\text{data}$ — most often by maximising
           the average log-likelihood $\frac1n \sum_i \log p_\theta(x_i)$;
        2. **sample**: draw new points $x \sim p_\theta$.

        The smallest interesting example is a **Gaussian mixture**: $K$ bumps with weights $\pi_k$, centres
        $\mu_k$ and covariances $\Sigma_k$,

        $$
        p_\theta(x) = \sum_{k=1}^{K} \pi_k \, \mathcal N(x;\, \mu_k, \Sigma_k), \qquad \pi_k \ge 0,\ \sum_k \pi_k = 1 .
        $$

        Sampling is two steps: pick a bump $k$ with probability $\pi_k$, then draw from $\mathcal N(\mu_k, \Sigma_k)$.
        Below, 500 points come from a "true" mixture of three bumps that we pretend not to know; scikit-learn
        fits a three-bump mixture to them by expectation–maximisation and draws 500 new points.
        """,
        zh=r"""
        ## 什么是生成模型

        设数据 $x_1, \dots, x_n$ 来自一个未知分布 $p_\text{data}$。生成模型是一族分布 $p_\theta$，它具备两种能力：

        1. **学习**：选择 $\theta$，使 $p_\theta$ 接近 $p_\text{data}$——最常见的做法是最大化平均对数似然 $\frac1n \sum_i \log p_\theta(x_i)$；
        2. **采样**：抽取新的点 $x \sim p_\theta$。

        最小而又有意思的例子是**高斯混合模型**：$K$ 个高斯“分量”，权重为 $\pi_k$，中心为 $\mu_k$，协方差为 $\Sigma_k$：

        $$
        p_\theta(x) = \sum_{k=1}^{K} \pi_k \, \mathcal N(x;\, \mu_k, \Sigma_k), \qquad \pi_k \ge 0,\ \sum_k \pi_k = 1 .
        $$

        采样分两步：先以概率 $\pi_k$ 选出一个分量 $k$，再从 $\mathcal N(\mu_k, \Sigma_k)$ 中抽样。下面，500 个点来自一个由三个分量组成的“真实”混合分布，
        我们假装并不知道它；scikit-learn 用期望最大化（EM）算法拟合一个三分量的混合模型，再从中抽取 500 个新点。
        """,
    ),
    code(
        """
        rng = np.random.default_rng(0)
        true_means = np.array([[-2.0, 0.0], [2.0, 0.5], [0.0, 2.5]])
        true_weights = np.array([0.5, 0.3, 0.2])


        def draw_points(n: int) -> np.ndarray:
            # en: the "unknown" data distribution: a mixture of three round Gaussians of standard deviation 0.6
            # zh: "未知"的数据分布：三个标准差为 0.6 的圆形高斯分布的混合
            k = rng.choice(3, size=n, p=true_weights)
            return true_means[k] + 0.6 * rng.standard_normal((n, 2))


        def sample_mixture(gmm: GaussianMixture, n: int, generator: torch.Generator) -> np.ndarray:
            # en: step 1: pick a bump k with probability pi_k; step 2: draw from N(mu_k, Sigma_k) = mu_k + L_k eps
            # zh: 第 1 步：以概率 pi_k 选出分量 k；第 2 步：从 N(mu_k, Sigma_k) 中抽样，即 mu_k + L_k eps
            k = torch.multinomial(torch.as_tensor(gmm.weights_, dtype=torch.float64), n, replacement=True, generator=generator)
            chol = torch.linalg.cholesky(torch.as_tensor(gmm.covariances_, dtype=torch.float64))          # Sigma_k = L_k L_k^T
            eps = torch.randn(n, gmm.means_.shape[1], dtype=torch.float64, generator=generator)
            return (torch.as_tensor(gmm.means_, dtype=torch.float64)[k] + (chol[k] @ eps[:, :, None])[:, :, 0]).numpy()


        g_mix = make_generator(5)
        pts_train, pts_held = draw_points(500), draw_points(500)
        gmm2d = GaussianMixture(n_components=3, random_state=0).fit(pts_train)   # learn
        pts_new = sample_mixture(gmm2d, 500, g_mix)                               # sample

        order = np.argsort(gmm2d.means_[:, 0])
        print(T("fitted weights:", "拟合得到的权重："), np.round(gmm2d.weights_[order], 3), T("  true:", "  真实值："), true_weights[[0, 2, 1]])
        print(T("fitted centres:", "拟合得到的中心："), np.round(gmm2d.means_[order], 2).tolist())
        # en: sampling check: the mean of many samples approaches the mixture's mean sum_k pi_k mu_k
        # zh: 采样检验：大量样本的均值趋近于混合分布的均值 sum_k pi_k mu_k
        print(T("mean of 100,000 samples:", "100,000 个样本的均值："), np.round(sample_mixture(gmm2d, 100_000, g_mix).mean(0), 3),
              T("  sum_k pi_k mu_k:", "  sum_k pi_k mu_k："), np.round(gmm2d.weights_ @ gmm2d.means_, 3))
        """
    ),
    md(
        en=r"""
        The formula is worth checking rather than trusting: the density computed by hand from the fitted
        $\pi_k, \mu_k, \Sigma_k$ must equal the one scikit-learn reports, and a density must integrate to 1
        (here by a Riemann sum over a grid that covers the data).
        """,
        zh=r"""
        公式值得验证，而不是盲目相信：用拟合得到的 $\pi_k, \mu_k, \Sigma_k$ 手工算出的密度，必须等于 scikit-learn 给出的密度；
        而且密度的积分必须为 1（这里用覆盖数据的网格上的黎曼和来近似）。
        """,
    ),
    code(
        """
        def mixture_density(x: np.ndarray) -> np.ndarray:
            # en: p(x) = sum_k pi_k N(x; mu_k, Sigma_k), written out
            # zh: 把 p(x) = sum_k pi_k N(x; mu_k, Sigma_k) 逐项写出来
            return sum(w * multivariate_normal(m, c).pdf(x) for w, m, c in zip(gmm2d.weights_, gmm2d.means_, gmm2d.covariances_))


        by_hand = mixture_density(pts_held[:5])
        by_sklearn = np.exp(gmm2d.score_samples(pts_held[:5]))
        # en: the two agree to rounding error (its last digits differ from CPU to CPU): print the bound
        # zh: 两者只差舍入误差（其末位数字因 CPU 而异）：打印它满足的上界
        print(T("largest difference, formula vs scikit-learn, < 1e-12:", "公式与 scikit-learn 的最大差异 < 1e-12："), bool(np.abs(by_hand - by_sklearn).max() < 1e-12))

        step = 0.05
        gx, gy = np.meshgrid(np.arange(-7, 7, step), np.arange(-5, 8, step))
        grid = np.c_[gx.ravel(), gy.ravel()]
        dens = mixture_density(grid).reshape(gx.shape)
        print(T("integral of p over the grid:", "p 在网格上的积分："), round(float(dens.sum() * step * step), 4))
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.4), sharex=True, sharey=True)
        axes[0].scatter(*pts_train.T, s=4, color="tab:blue")
        axes[0].set_title(T("training data", "训练数据"))
        axes[1].contourf(gx, gy, dens, levels=12, cmap="Blues")
        axes[1].set_title(T("learned density p(x)", "学到的密度 p(x)"))
        axes[2].scatter(*pts_new.T, s=4, color="tab:orange")
        axes[2].set_title(T("new samples", "新样本"))
        for ax in axes:
            ax.set_xlim(-5, 5)
            ax.set_ylim(-3, 5)
            ax.set_aspect("equal")
        fig.suptitle(T("Learn p(x), then sample from it", "先学习 p(x)，再从中采样"))
        plt.show()
        """
    ),
    md(
        en=r"""
        **More capacity is not always better.** The average log-likelihood on the training points can only go
        up as we add bumps; on *held-out* points from the same distribution it rises while the model captures
        real structure and then falls once the extra bumps start to wrap individual training points. That
        gap between training and held-out likelihood is the first sign of **memorisation**, the privacy concern
        below. The table prints both, in nats per point:
        """,
        zh=r"""
        **容量越大并不总是越好。** 随着分量数增加，训练点上的平均对数似然只会上升；而在来自同一分布的*留出*点上，它先随着模型捕捉到真实结构而上升，
        当多余的分量开始“包住”一个个训练点之后便转而下降。训练似然与留出似然之间的差距，正是**记忆**的第一个信号——也就是下文要讲的隐私问题。
        下表列出两者（单位：奈特/点）：
        """,
    ),
    code(
        """
        print(f"{'K':>4} {pad(T('train', '训练'), 8)} {pad(T('held-out', '留出'), 9)}")
        for k in (1, 2, 3, 10, 30, 100):
            m = GaussianMixture(n_components=k, random_state=0).fit(pts_train)
            print(f"{k:>4} {m.score(pts_train):>8.3f} {m.score(pts_held):>9.3f}")
        """
    ),
    md(
        en=r"""
        ### A generative model of digits

        The same recipe works on images, crudely. We project the 4,000 training digits onto their first 20
        principal components, fit a 10-bump mixture in that 20-dimensional space, sample, and map the samples
        back to pixels. The result is recognisably digit-like and blurry: a mixture of Gaussians is far too
        simple a family for images, which is why the later chapters build neural networks instead. We keep it
        because it is fast, and because its samples let us measure privacy and bias in the next sections.
        """,
        zh=r"""
        ### 一个手写数字的生成模型

        同样的方法也能粗略地用在图像上。我们把 4,000 张训练数字投影到前 20 个主成分上，在这个 20 维空间里拟合一个 10 分量的混合模型，
        采样后再映射回像素空间。得到的图像能看出是数字，但很模糊：对图像来说，高斯混合这一族模型实在太简单了，所以后面各章改用神经网络。
        我们在这里保留它，是因为它很快，而且它的样本能让我们在接下来几节里测量隐私和偏差。
        """,
    ),
    code(
        """
        def fit_digit_gmm(images: torch.Tensor, n_components: int = 10) -> tuple[PCA, GaussianMixture]:
            # en: PCA to 20 dimensions, then a Gaussian mixture with full covariances in that space
            # zh: 先用 PCA 降到 20 维，再在该空间中拟合全协方差高斯混合模型
            flat = images.flatten(1).numpy()
            pca = PCA(n_components=20, random_state=0).fit(flat)
            gmm = GaussianMixture(n_components, covariance_type="full", reg_covar=1e-3, random_state=0).fit(pca.transform(flat))
            return pca, gmm


        def sample_digits(pca: PCA, gmm: GaussianMixture, n: int) -> torch.Tensor:
            z = sample_mixture(gmm, n, g_mix)
            pixels = np.clip(pca.inverse_transform(z), 0.0, 1.0)
            return torch.from_numpy(pixels).float().reshape(-1, 1, 28, 28)


        pca_all, gmm_all = fit_digit_gmm(x_train)
        gmm_samples = sample_digits(pca_all, gmm_all, 2000)
        show_images(gmm_samples[:20], nrow=10, title=T("Samples from a Gaussian mixture fitted to digits", "拟合手写数字的高斯混合模型的样本"))
        plt.show()
        """
    ),
    md(
        en=r"""
        ## The families of generative models, and where this book treats them

        The Gaussian mixture writes $p_\theta(x)$ down explicitly. Neural generative models differ in *how* they
        represent $p_\theta$ and in what they optimise:

        | family | how it generates | what it trains on | in this book |
        | --- | --- | --- | --- |
        | **GAN** (generative adversarial network) {cite:p}`goodfellow2014gan` | a generator maps noise $z$ to $G(z)$ | a minimax game against a discriminator; no likelihood | [chapter 2](02_gan.ipynb) |
        | **VAE** (variational autoencoder) {cite:p}`kingma2014vae,rezende2014stochastic` | a decoder maps a latent $z \sim p(z)$ to $p_\theta(x \mid z)$ | the evidence lower bound (ELBO) on $\log p_\theta(x)$ | [chapter 3](03_vae.ipynb) |
        | **autoregressive** (GPT) {cite:p}`vaswani2017attention,radford2019gpt2` | one token at a time, $p(x) = \prod_t p(x_t \mid x_{<t})$ | exact log-likelihood (cross-entropy) | [chapter 4](04_gpt.ipynb) |
        | **diffusion** {cite:p}`sohldickstein2015diffusion,ho2020ddpm` | starts from noise and removes it step by step | learns to reverse a gradual noising process (a bound on the likelihood) | [chapter 7](07_diffusion.ipynb) |
        | **normalising flow** {cite:p}`rezende2015flows` | an invertible network maps noise to data | exact log-likelihood via the change-of-variables formula | named here, not treated |

        [Chapter 5](05_mnist_project.ipynb) trains a GAN and a VAE on MNIST with `course_lib` and compares them; [chapter 6](06_responsible_generation.ipynb) returns to the
        concerns of this chapter and measures them on those models.
        """,
        zh=r"""
        ## 生成模型的几大家族，以及本书在哪里讲它们

        高斯混合模型把 $p_\theta(x)$ 显式地写了出来。神经网络生成模型的区别在于*如何*表示 $p_\theta$，以及优化的目标是什么：

        | 家族 | 如何生成 | 训练目标 | 本书位置 |
        | --- | --- | --- | --- |
        | **生成对抗网络（GAN）** {cite:p}`zh-goodfellow2014gan` | 生成器把噪声 $z$ 映射为 $G(z)$ | 与判别器做极小极大博弈；不需要似然 | [第 2 章](02_gan.ipynb) |
        | **变分自编码器（VAE）** {cite:p}`zh-kingma2014vae,zh-rezende2014stochastic` | 解码器把潜变量 $z \sim p(z)$ 映射为 $p_\theta(x \mid z)$ | $\log p_\theta(x)$ 的证据下界（ELBO） | [第 3 章](03_vae.ipynb) |
        | **自回归模型**（GPT） {cite:p}`zh-vaswani2017attention,zh-radford2019gpt2` | 逐个词元生成，$p(x) = \prod_t p(x_t \mid x_{<t})$ | 精确的对数似然（交叉熵） | [第 4 章](04_gpt.ipynb) |
        | **扩散模型** {cite:p}`zh-sohldickstein2015diffusion,zh-ho2020ddpm` | 从噪声出发，一步步去噪 | 学习逆转一个逐步加噪的过程（优化似然的一个下界） | [第 7 章](07_diffusion.ipynb) |
        | **标准化流** {cite:p}`zh-rezende2015flows` | 用可逆网络把噪声映射为数据 | 借助变量替换公式得到精确的对数似然 | 本书只提及，不展开 |

        [第 5 章](05_mnist_project.ipynb)用 `course_lib` 在 MNIST 上训练一个 GAN 和一个 VAE 并加以比较；[第 6 章](06_responsible_generation.ipynb)回到本章的这些问题，在那些模型上逐一测量。
        """,
    ),
    # ------------------------------------------------------------------ privacy: memorisation
    md(
        en=r"""
        ## Privacy

        ### Memorisation, measured

        A generative model trained on personal data (faces, medical scans, private messages) leaks that data if it
        reproduces training examples. This is not hypothetical: Carlini et al. extracted verbatim training
        sequences, including personal information, from GPT-2 {cite:p}`carlini2021extracting`, and membership
        inference asks the related question of whether a given record was in the training set
        {cite:p}`shokri2017membership`.

        A simple measurement: for each generated sample, find the **distance to its nearest training image** and
        the **distance to its nearest held-out image**, where the held-out set comes from the same distribution
        but was never seen. A model that copies has samples far closer to training images than to held-out ones;
        a model that generalises has samples no closer to the one than to the other. We use the ratio

        $$
        r(x) = \frac{\min_{t \in \text{train}} \lVert x - t \rVert}{\min_{h \in \text{held-out}} \lVert x - h \rVert},
        $$

        with **equally many** training and held-out images (1,000 of each): with more candidates, a nearest
        neighbour is closer by chance alone. `course_lib.responsible.privacy.memorisation_ratio` computes it.

        Two models, both trained on the same 1,000 training digits:

        * a **copying model**: pick a training digit at random and add Gaussian pixel noise of standard deviation
          $\sigma$ (a kernel density estimate with bandwidth $\sigma$) — small $\sigma$ means near-copies;
        * the **Gaussian mixture** of the previous section, refitted to these 1,000 digits.
        """,
        zh=r"""
        ## 隐私

        ### 测量“记忆”

        一个在个人数据（人脸、医学影像、私人消息）上训练的生成模型，如果复现训练样本，就会泄露这些数据。这并非假想：
        Carlini 等人从 GPT-2 中逐字提取出了训练序列，其中包括个人信息 {cite:p}`zh-carlini2021extracting`；而成员推断问的是一个相关的问题：
        某条记录是否在训练集中 {cite:p}`zh-shokri2017membership`。

        一个简单的测量方法：对每个生成样本，找出它**到最近训练图像的距离**和**到最近留出图像的距离**；留出集来自同一分布，但模型从未见过。
        会复制的模型，其样本离训练图像远比离留出图像近；能够泛化的模型，其样本离训练图像并不比离留出图像更近。我们使用比值

        $$
        r(x) = \frac{\min_{t \in \text{train}} \lVert x - t \rVert}{\min_{h \in \text{held-out}} \lVert x - h \rVert},
        $$

        并且训练图像和留出图像取**同样多**（各 1,000 张）：候选越多，最近邻仅凭运气就会更近。`course_lib.responsible.privacy.memorisation_ratio` 计算这个比值。

        两个模型，都在同样的 1,000 张训练数字上训练：

        * **复制模型**：随机挑一张训练数字，加上标准差为 $\sigma$ 的高斯像素噪声（即带宽为 $\sigma$ 的核密度估计）——$\sigma$ 越小，越接近原样复制；
        * 上一节的**高斯混合模型**，在这 1,000 张数字上重新拟合。
        """,
    ),
    code(
        """
        gen = make_generator(0)
        subset = torch.randperm(len(x_train), generator=gen)[:1000]
        # en: the 1,000 digits both models are trained on
        # zh: 两个模型都在这 1,000 个数字上训练
        x_mem = x_train[subset]
        # en: 1,000 held-out digits, never seen
        # zh: 1,000 个留出数字，训练时从未见过
        x_ref = x_held


        def sample_copying(n: int, sigma: float) -> torch.Tensor:
            pick = torch.randint(0, len(x_mem), (n,), generator=gen)
            return (x_mem[pick] + sigma * torch.randn(n, 1, 28, 28, generator=gen)).clamp(0.0, 1.0)


        pca_mem, gmm_mem = fit_digit_gmm(x_mem)
        samples = {T(f"copying, σ={s}", f"复制，σ={s}"): sample_copying(1000, s) for s in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)}
        samples[T("Gaussian mixture", "高斯混合模型")] = sample_digits(pca_mem, gmm_mem, 1000)

        print(f"{pad(T('model', '模型'), 22, '<')}{pad(T('median d_train', 'd_train 中位数'), 16)}{pad(T('median d_held', 'd_held 中位数'), 16)}{pad(T('median ratio r', '比值 r 中位数'), 16)}")
        ratios = {}
        for name, s in samples.items():
            d_tr = nearest_neighbour_distance(s, x_mem)
            d_he = nearest_neighbour_distance(s, x_ref)
            ratios[name] = memorisation_ratio(s, x_mem, x_ref)
            print(f"{pad(name, 22, '<')}{d_tr.median():>16.3f}{d_he.median():>16.3f}{ratios[name].median():>16.3f}")
        """
    ),
    md(
        en=r"""
        The copying model with $\sigma = 0$ has training distance exactly 0: its samples *are* training digits.
        As $\sigma$ grows the ratio climbs towards 1 — but only because the noise drowns the digit, not because
        the model learned anything. The Gaussian mixture's ratio sits near 1: its samples are no closer to the
        digits it was trained on than to digits it never saw. The figure puts a few samples above their nearest
        training digit.
        """,
        zh=r"""
        $\sigma = 0$ 的复制模型，到训练集的距离恰好为 0：它的样本*就是*训练数字。随着 $\sigma$ 增大，比值向 1 爬升——但这只是因为噪声淹没了数字，
        而不是因为模型学到了什么。高斯混合模型的比值接近 1：它的样本离训练过的数字，并不比离从未见过的数字更近。下图把几个样本放在各自最近的训练数字上方。
        """,
    ),
    code(
        """
        copy_name, gmm_name = T("copying, σ=0.05", "复制，σ=0.05"), T("Gaussian mixture", "高斯混合模型")
        fig, axes = plt.subplots(1, 3, figsize=(11, 2.9), gridspec_kw={"width_ratios": [1, 1, 1.2]})
        for ax, name in zip(axes[:2], (copy_name, gmm_name)):
            s = samples[name][:6]
            nearest = torch.cdist(s.flatten(1), x_mem.flatten(1)).argmin(1)
            show_images(torch.cat([s, x_mem[nearest]]), nrow=6, ax=ax,
                        title=f"{name}\\n{T('top: sample, bottom: nearest training digit', '上：样本，下：最近的训练数字')}")
        for name in (copy_name, gmm_name):
            axes[2].hist(ratios[name].numpy(), bins=40, range=(0, 1.6), alpha=0.6, label=name)
        axes[2].set_xlabel(T("ratio r = d_train / d_held", "比值 r = d_train / d_held"))
        axes[2].set_ylabel(T("samples", "样本数"))
        axes[2].legend(fontsize=8)
        plt.tight_layout()
        plt.show()
        """
    ),
    # ------------------------------------------------------------------ privacy: differential privacy
    md(
        en=r"""
        ### Differential privacy

        Distances tell us *whether* a model leaked; **differential privacy** is a promise made *before* release
        {cite:p}`dwork2006calibrating,dwork2014algorithmic`. A randomised mechanism $M$ is
        **ε-differentially private** if for any two data sets $D, D'$ that differ in one person's record, and
        every set $S$ of outputs,

        $$
        P[M(D) \in S] \le e^{\varepsilon}\, P[M(D') \in S].
        $$

        Whatever an observer does with the output, it can hardly tell whether your record was in the data.
        The simplest mechanism answers a **count** ("how many records have property $A$?"). Adding or removing
        one record changes a count by at most 1 (its *sensitivity*), and the **Laplace mechanism** releases

        $$
        M(D) = \text{count}(D) + \text{Lap}(b), \qquad b = \frac{\text{sensitivity}}{\varepsilon},
        $$

        where $\text{Lap}(b)$ has density $\frac{1}{2b} e^{-|u|/b}$. The ratio of the two output densities at
        any point $y$ is $e^{(|y - c'| - |y - c|)/b} \le e^{|c - c'|/b} \le e^{\varepsilon}$ — the definition.

        Our "sensitive" count: how many of the 4,000 training digits are 7s. The neighbouring data set $D'$ lacks
        one of them. The cell draws a million releases from each and compares the histograms with the bound.
        Outside the interval between the two true counts the exact ratio *equals* $e^{\pm\varepsilon}$, so the
        measured extreme ratios sit at the bound, up to sampling noise.
        """,
        zh=r"""
        ### 差分隐私

        距离告诉我们模型*是否*泄露了数据；而**差分隐私**是在发布*之前*就做出的承诺 {cite:p}`zh-dwork2006calibrating,zh-dwork2014algorithmic`。
        设 $M$ 是一个随机化机制。如果对任意一对只相差一条个人记录的数据集 $D, D'$ 以及任意输出集合 $S$，都有

        $$
        P[M(D) \in S] \le e^{\varepsilon}\, P[M(D') \in S].
        $$

        就称 $M$ 满足 **ε-差分隐私**。也就是说，无论观察者如何利用输出，都几乎无法判断你的记录是否在数据中。最简单的机制回答一个**计数**（“有多少条记录具有性质 $A$？”）。
        增加或删除一条记录，计数最多改变 1（这就是它的*敏感度*）；**拉普拉斯机制**发布

        $$
        M(D) = \text{count}(D) + \text{Lap}(b), \qquad b = \frac{\text{敏感度}}{\varepsilon},
        $$

        其中 $\text{Lap}(b)$ 的密度为 $\frac{1}{2b} e^{-|u|/b}$。两个输出密度在任意点 $y$ 处之比为
        $e^{(|y - c'| - |y - c|)/b} \le e^{|c - c'|/b} \le e^{\varepsilon}$——这正是定义。

        我们的“敏感”计数：4,000 张训练数字中有多少张是 7。相邻数据集 $D'$ 少了其中一张。下面的单元格从两者各抽取一百万次发布结果，把直方图与上界相比较。
        在两个真实计数之间的区间以外，精确的比值*恰好等于* $e^{\pm\varepsilon}$，因此实测的极端比值会落在上界处（相差仅为抽样噪声）。
        """,
    ),
    code(
        """
        # en: D: one boolean per record
        # zh: D：每条记录一个布尔值
        has_property = y_train == 7
        neighbour = has_property.clone()
        # en: D': the same data without one person who has it
        # zh: D'：同样的数据，但去掉一个具有该属性的人
        neighbour[torch.nonzero(has_property)[0]] = False
        eps = 0.5
        g = make_generator(1)
        rel_d = noisy_count(has_property, eps, n_draws=1_000_000, generator=g)
        rel_n = noisy_count(neighbour, eps, n_draws=1_000_000, generator=g)
        print(T("true counts:", "真实计数："), int(has_property.sum()), "/", int(neighbour.sum()), T("   noise scale b = 1/ε =", "   噪声尺度 b = 1/ε ="), laplace_scale(1.0, eps))

        edges = torch.arange(394.0, 407.0, 1.0, dtype=torch.float64)
        h_d, h_n = torch.histogram(rel_d, edges).hist, torch.histogram(rel_n, edges).hist
        ratio = h_d / h_n
        print(T("largest histogram ratio P[M(D)∈S] / P[M(D')∈S]:", "直方图比值 P[M(D)∈S] / P[M(D')∈S] 的最大值："), round(float(ratio.max()), 3),
              T("  bound e^ε =", "  上界 e^ε ="), round(float(np.exp(eps)), 3))
        print(T("smallest ratio:", "最小比值："), round(float(ratio.min()), 3), T("  bound e^-ε =", "  下界 e^-ε ="), round(float(np.exp(-eps)), 3))

        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        centres = (edges[:-1] + 0.5).numpy()
        ax.step(centres, (h_d / len(rel_d)).numpy(), where="mid", label=T("M(D): with the record", "M(D)：含该记录"))
        ax.step(centres, (h_n / len(rel_n)).numpy(), where="mid", label=T("M(D'): without it", "M(D')：不含该记录"))
        ax.set_xlabel(T("released count", "发布的计数"))
        ax.set_ylabel(T("probability per bin", "每个区间的概率"))
        ax.set_title(T("Laplace mechanism, ε = 0.5: two nearly indistinguishable outputs", "拉普拉斯机制，ε = 0.5：两个几乎无法区分的输出"))
        ax.legend(fontsize=8)
        plt.show()
        """
    ),
    md(
        en=r"""
        **Try it.** In JupyterLab the slider below is live: move ε and watch the two output distributions (with
        and without your record) pull apart as ε grows. The rendered book cannot run Python, so the cell after
        it draws the same picture for three values of ε.
        """,
        zh=r"""
        **动手试一试。** 在 JupyterLab 中，下面的滑块是可以拖动的：改变 ε，观察两个输出分布（含与不含你的记录）如何随着 ε 增大而分开。
        网页版的书无法运行 Python，所以紧随其后的单元格为三个 ε 值画出了同样的图。
        """,
    ),
    code(
        """
        import ipywidgets as widgets


        def draw_laplace_pair(ax: plt.Axes, epsilon: float) -> None:
            # en: exact densities of count + Lap(1/ε) for the true counts 400 (D) and 399 (D')
            # zh: 真实计数为 400（D）和 399（D'）时，count + Lap(1/ε) 的精确密度
            b = 1.0 / epsilon
            # en: show about eight noise scales either side
            # zh: 两侧各显示约八个噪声尺度
            half_width = min(40.0, 2.0 + 8.0 * b)
            y = np.linspace(399.5 - half_width, 399.5 + half_width, 1601)
            for c, label in ((400, T("with the record", "含该记录")), (399, T("without it", "不含该记录"))):
                ax.plot(y, np.exp(-np.abs(y - c) / b) / (2 * b), label=label)
            acc = 1 - 0.5 * np.exp(-epsilon / 2)
            ax.set_title(f"ε = {epsilon:.2g}: {T('attacker accuracy', '攻击者准确率')} {acc:.2f}", fontsize=9)
            ax.set_xlabel(T("released count", "发布的计数"))
            ax.legend(fontsize=7)


        def laplace_figure(epsilon: float) -> plt.Figure:
            fig, ax = plt.subplots(figsize=(5, 2.8))
            draw_laplace_pair(ax, epsilon)
            return fig


        # en: slider_figure redraws the figure whenever the slider moves (live in JupyterLab)
        # zh: 每当滑块移动，slider_figure 就重新绘图（在 JupyterLab 中实时生效）
        eps_slider = widgets.FloatLogSlider(value=0.5, base=10, min=-1.5, max=1.0, step=0.05, description="ε", continuous_update=False)
        slider_figure(laplace_figure, eps_slider)
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, 3, figsize=(11, 2.9), sharey=False)
        for ax, e in zip(axes, (0.1, 0.5, 2.0)):
            draw_laplace_pair(ax, e)
        fig.suptitle(T("The slider's picture for three values of ε", "滑块对应的图：三个 ε 值"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        **The trade-off, measured.** Smaller $\varepsilon$ means more privacy and more noise. The mean absolute
        error of the release is $\mathbb E|\text{Lap}(b)| = b = 1/\varepsilon$. Privacy can be measured from the
        attacker's side too: an attacker who knows everything except whether your record is in the data sees one
        release and guesses "in" when it is above the midpoint $c - \tfrac12$. Its accuracy is
        $P[\text{Lap}(b) > -\tfrac12] = 1 - \tfrac12 e^{-\varepsilon/2}$. No attacker can do better than
        $e^\varepsilon / (1 + e^\varepsilon)$ against *any* ε-DP mechanism: apply the definition to the set $S$
        where it guesses "in" and to its complement, and maximise $\tfrac12(P[M(D)\in S] + 1 - P[M(D')\in S])$
        under those two constraints. The cell checks all three against simulation.
        """,
        zh=r"""
        **权衡，用数字说话。** $\varepsilon$ 越小，隐私越强，噪声也越大。发布结果的平均绝对误差为 $\mathbb E|\text{Lap}(b)| = b = 1/\varepsilon$。
        隐私也可以从攻击者的角度来衡量：假设攻击者知道除“你的记录是否在数据中”之外的一切，他看到一次发布结果，当结果高于中点 $c - \tfrac12$ 时就猜“在”。
        他的准确率是 $P[\text{Lap}(b) > -\tfrac12] = 1 - \tfrac12 e^{-\varepsilon/2}$。面对*任何* ε-差分隐私机制，没有攻击者能超过 $e^\varepsilon / (1 + e^\varepsilon)$：
        把定义分别用于他猜“在”的集合 $S$ 及其补集，在这两个约束下最大化 $\tfrac12(P[M(D)\in S] + 1 - P[M(D')\in S])$ 即可得到。下面的单元格用模拟逐一核对这三个公式。
        """,
    ),
    code(
        """
        epsilons = [0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0]
        true_count = float(has_property.sum())
        rows = []
        print(f"{'ε':>5}{pad(T('MAE', '平均绝对误差'), 13)}{'1/ε':>8}{pad(T('attack acc.', '攻击准确率'), 13)}{pad(T('formula', '公式'), 9)}{pad(T('bound', '上界'), 8)}")
        for e in epsilons:
            a = noisy_count(has_property, e, n_draws=100_000, generator=g)
            b = noisy_count(neighbour, e, n_draws=100_000, generator=g)
            mae = float((a - true_count).abs().mean())
            acc = 0.5 * (float((a > true_count - 0.5).double().mean()) + float((b <= true_count - 0.5).double().mean()))
            formula, bound = 1 - 0.5 * np.exp(-e / 2), np.exp(e) / (1 + np.exp(e))
            rows.append((e, mae, acc, formula, bound))
            print(f"{e:>5}{mae:>13.3f}{1 / e:>8.3f}{acc:>13.3f}{formula:>9.3f}{bound:>8.3f}")

        rows = np.array(rows)
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax1.loglog(rows[:, 0], rows[:, 1], "o-", label=T("measured", "实测"))
        ax1.loglog(rows[:, 0], 1 / rows[:, 0], "k--", label="1/ε")
        ax1.set_xlabel("ε")
        ax1.set_ylabel(T("mean absolute error of the count", "计数的平均绝对误差"))
        ax1.legend()
        ax2.semilogx(rows[:, 0], rows[:, 2], "o-", label=T("attacker, measured", "攻击者（实测）"))
        ax2.semilogx(rows[:, 0], rows[:, 4], "k--", label=T("bound e^ε/(1+e^ε)", "上界 e^ε/(1+e^ε)"))
        ax2.axhline(0.5, color="grey", lw=0.8)
        ax2.set_xlabel("ε")
        ax2.set_ylabel(T("attacker accuracy", "攻击者准确率"))
        ax2.legend()
        fig.suptitle(T("Privacy costs accuracy: the ε trade-off", "隐私以准确性为代价：ε 的权衡"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        Training a neural network with differential privacy follows the same logic at a larger scale: DP-SGD clips
        each example's gradient (bounding its sensitivity) and adds Gaussian noise to the sum
        {cite:p}`abadi2016dpsgd`. Chapter 6 measures its price on the MNIST models.
        """,
        zh=r"""
        以差分隐私方式训练神经网络，遵循的是同样的逻辑，只是规模更大：DP-SGD 裁剪每个样本的梯度（从而限定其敏感度），再在梯度之和上加高斯噪声
        {cite:p}`zh-abadi2016dpsgd`。第 6 章会在 MNIST 模型上测量它的代价。
        """,
    ),
    # ------------------------------------------------------------------ fairness
    md(
        en=r"""
        ## Fairness and bias

        ### A skewed data set in, a skewed generator out

        A generative model learns the distribution it is shown, including its imbalances. To measure that we need
        an instrument: a digit classifier (a small neural network) trained on the *balanced* training part,
        which labels each generated image. Then we fit two Gaussian-mixture generators:

        * one on the balanced training part (400 of each digit);
        * one on a **skewed** training set: 400 each of the digits 0–4 but only 40 each of 5–9, so that the
          digits 5–9 make up one eleventh of it.

        The classifier is not perfect, and it also mislabels blurry samples; the balanced generator shows how
        large that effect is on its own.
        """,
        zh=r"""
        ## 公平性与偏差

        ### 数据偏斜，生成器也偏斜

        生成模型学到的是它所看到的分布，其中的不平衡也一并学去。要测量这一点，我们需要一件“仪器”：一个在*均衡*训练部分上训练的数字分类器（一个小型神经网络），
        由它给每张生成图像打标签。然后拟合两个高斯混合生成器：

        * 一个在均衡的训练部分上拟合（每个数字 400 张）；
        * 一个在**偏斜**的训练集上拟合：数字 0–4 各 400 张，而 5–9 各只有 40 张，因此 5–9 只占全部数据的十一分之一。

        分类器并不完美，对模糊的样本也会标错；均衡生成器的结果单独显示了这种误差有多大。
        """,
    ),
    code(
        """
        def train_classifier(hidden: int | None, steps: int, seed: int = 0) -> torch.nn.Module:
            # en: hidden=None: a linear (softmax-regression) classifier; otherwise a one-hidden-layer network
            # zh: hidden=None 时是线性（softmax 回归）分类器；否则是带一个隐藏层的网络
            torch.manual_seed(seed)
            if hidden is None:
                model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
            else:
                model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            g_batch = make_generator(seed)
            for _ in range(steps):
                idx = torch.randint(0, len(x_train), (128,), generator=g_batch)
                loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            return model.eval()


        mlp = train_classifier(hidden=128, steps=600)
        print(T("classifier accuracy on the held-out digits:", "分类器在留出数字上的准确率："), round(accuracy(mlp, x_held, y_held), 3))
        """
    ),
    code(
        """
        per_digit = [400] * 5 + [40] * 5
        keep = torch.cat([torch.nonzero(y_train == d).flatten()[:n] for d, n in enumerate(per_digit)])
        pca_skew, gmm_skew = fit_digit_gmm(x_train[keep])
        skew_samples = sample_digits(pca_skew, gmm_skew, 2000)


        def class_shares(images: torch.Tensor) -> np.ndarray:
            return class_histogram(images, mlp).numpy() / len(images)


        share_train = np.array(per_digit) / sum(per_digit)
        share_bal, share_skew = class_shares(gmm_samples), class_shares(skew_samples)
        print(f"{pad(T('digit', '数字'), 6)}{pad(T('skewed data', '偏斜数据'), 13)}{pad(T('its generator', '其生成器'), 15)}{pad(T('balanced generator', '均衡生成器'), 20)}")
        for d in range(10):
            print(f"{d:>6}{share_train[d]:>13.3f}{share_skew[d]:>15.3f}{share_bal[d]:>20.3f}")
        s_data, s_gen, s_bal = round(share_train[5:].sum(), 3), round(share_skew[5:].sum(), 3), f"{share_bal[5:].sum():.3f}"
        print(T(f"share of the digits 5–9: data {s_data} → generator {s_gen} (balanced generator: {s_bal})",
                f"数字 5–9 所占份额：数据 {s_data} → 生成器 {s_gen}（均衡生成器：{s_bal}）"))

        fig, ax = plt.subplots(figsize=(7, 3.2))
        digits = np.arange(10)
        ax.bar(digits - 0.27, share_train, width=0.27, label=T("skewed training data", "偏斜的训练数据"))
        ax.bar(digits, share_skew, width=0.27, label=T("generator fitted to it", "在其上拟合的生成器"))
        ax.bar(digits + 0.27, share_bal, width=0.27, label=T("generator fitted to balanced data", "在均衡数据上拟合的生成器"))
        ax.axhline(0.1, color="grey", lw=0.8)
        ax.set_xticks(digits)
        ax.set_xlabel(T("digit (as labelled by the classifier)", "数字（由分类器标注）"))
        ax.set_ylabel(T("share", "份额"))
        ax.set_title(T("Skew in, skew out", "数据偏斜，生成也偏斜"))
        ax.legend(fontsize=8)
        plt.show()
        """
    ),
    md(
        en=r"""
        The generator trained on skewed data reproduces the skew: the under-represented digits are rare in its
        output too, while the balanced generator's shares stay roughly at one tenth each; their spread around one
        tenth shows the size of the classifier's own errors. Nothing in the learning algorithm is "biased"; maximum likelihood does exactly
        what it should, which is to match the data. Fixing the output means fixing the data (collecting more,
        or reweighting) or changing the objective.

        ### Group metrics with `fairlearn`

        When a model makes **decisions** about people, fairness is measured per group. `fairlearn`'s
        `MetricFrame` {cite:p}`weerts2023fairlearn` takes any metric, the true labels, the predictions and a
        *sensitive feature*, and reports the metric for each group and the differences between groups. We make
        a small data set ourselves (fairlearn's bundled data sets are downloads): a screening decision where the
        outcome depends on an unobserved ability, and the recorded score is a noisy proxy of it that is
        **measured 0.8 lower for group B**, a fifth of the population. The model never sees the group.
        """,
        zh=r"""
        在偏斜数据上训练的生成器复现了这种偏斜：代表性不足的数字在它的输出中同样稀少；而均衡生成器的各类份额大致都在十分之一左右，它们围绕十分之一的波动反映了分类器本身误差的大小。
        学习算法本身并没有什么“偏差”：最大似然做的正是它该做的事——拟合数据。要修正输出，就得修正数据（收集更多数据，或重新加权），或者改变目标函数。

        ### 用 `fairlearn` 计算分组指标

        当模型对人做出**决策**时，公平性要按群体来衡量。`fairlearn` 的 `MetricFrame` {cite:p}`zh-weerts2023fairlearn` 接受任意指标、真实标签、预测值和一个*敏感特征*，
        报告每个群体上的指标以及群体之间的差异。我们自己构造一个小数据集（fairlearn 自带的数据集需要下载）：一个筛选决策，其结果取决于一个观测不到的能力值；
        记录下来的分数是这个能力的带噪替代指标，而且对占总体五分之一的 B 组**系统性地少记了 0.8 分**。模型从头到尾都看不到群体信息。
        """,
    ),
    code(
        """
        from fairlearn.metrics import (MetricFrame, count, demographic_parity_difference, equalized_odds_difference,
                                       false_positive_rate, selection_rate, true_positive_rate)
        from fairlearn.postprocessing import ThresholdOptimizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score

        rng = np.random.default_rng(1)
        n = 6000
        group = np.where(rng.random(n) < 0.2, "B", "A")
        ability = rng.standard_normal(n)
        # en: the biased measurement
        # zh: 有偏差的测量
        score = ability + 0.5 * rng.standard_normal(n) - 0.8 * (group == "B")
        other = 0.5 * ability + rng.standard_normal(n)
        outcome = (ability + 0.5 * rng.standard_normal(n) > 0).astype(int)
        features = np.c_[score, other]
        tr, te = np.arange(n) < n // 2, np.arange(n) >= n // 2

        screen = LogisticRegression().fit(features[tr], outcome[tr])
        decision = screen.predict(features[te])
        metrics = {T("accuracy", "准确率"): accuracy_score, T("selection rate", "选中率"): selection_rate,
                   T("TPR", "真阳性率"): true_positive_rate, T("FPR", "假阳性率"): false_positive_rate, T("count", "人数"): count}
        group_te = pd.Series(group[te], name=T("group", "群体"))
        frame = MetricFrame(metrics=metrics, y_true=outcome[te], y_pred=decision, sensitive_features=group_te)
        print(frame.by_group.round(3).to_string())
        print(T("largest gap between groups:", "群体间最大差距："), frame.difference().round(3).drop(T("count", "人数")).to_dict())
        print(T("demographic parity difference:", "人口统计均等差异："), round(demographic_parity_difference(outcome[te], decision, sensitive_features=group[te]), 3))
        print(T("equalized odds difference:", "均等几率差异："), round(equalized_odds_difference(outcome[te], decision, sensitive_features=group[te]), 3))
        """
    ),
    md(
        en=r"""
        Equally able members of group B are selected less often: their **true positive rate** (the share of
        those who would succeed who are selected) is lower, although the model was never told the group — the
        bias sits in the measurement. One remedy is post-processing: `ThresholdOptimizer` picks a separate
        threshold per group so that true and false positive rates match across groups ("equalized odds"), the
        method of Hardt, Price and Srebro {cite:p}`hardt2016equality`. It needs the group at decision time, and
        it can change accuracy; the cell measures both gaps and accuracy before and after.
        """,
        zh=r"""
        能力相同时，B 组的人被选中的机会更少：他们的**真阳性率**（本会成功的人中被选中的比例）更低——尽管模型从未被告知群体信息，偏差藏在测量之中。
        一种补救办法是后处理：`ThresholdOptimizer` 为每个群体分别选择阈值，使各群体的真阳性率和假阳性率一致（“均等几率”），
        这是 Hardt、Price 和 Srebro 提出的方法 {cite:p}`zh-hardt2016equality`。它在做决策时需要知道群体，而且可能改变准确率；下面的单元格测量修正前后的差距和准确率。
        """,
    ),
    code(
        """
        fix = ThresholdOptimizer(estimator=screen, constraints="equalized_odds", prefit=True, predict_method="predict_proba")
        fix.fit(features[tr], outcome[tr], sensitive_features=group[tr])
        decision_fixed = fix.predict(features[te], sensitive_features=group[te], random_state=0)
        frame_fixed = MetricFrame(metrics=metrics, y_true=outcome[te], y_pred=decision_fixed, sensitive_features=group_te)
        print(frame_fixed.by_group.round(3).to_string())
        for label, d in ((T("before", "修正前"), decision), (T("after ", "修正后"), decision_fixed)):
            print(label, T("accuracy", "准确率"), round(accuracy_score(outcome[te], d), 3),
                  T("| equalized odds difference", "| 均等几率差异"), round(equalized_odds_difference(outcome[te], d, sensitive_features=group[te]), 3),
                  T("| demographic parity difference", "| 人口统计均等差异"), round(demographic_parity_difference(outcome[te], d, sensitive_features=group[te]), 3))
        """
    ),
    md(
        en=r"""
        The gaps in true and false positive rates nearly close. Accuracy did not fall here — it rose a little —
        because the per-group thresholds also undo part of the measurement bias that the group-blind model could
        not see. That is not a free lunch in general: a constraint can only lower (or keep) the best accuracy
        reachable with the same information, so against a model that already uses everything it knows, fairness
        constraints cost accuracy or break even.

        Which gap to close is a choice, not a calculation. When the groups' base rates differ, a classifier cannot
        in general satisfy calibration within groups and equal error rates across groups at once
        {cite:p}`kleinberg2017inherent`; closing one gap can open another. Here the groups' true success rates
        are equal by construction, so the gaps come from the biased measurement alone — in real data that is
        exactly what one cannot take for granted.
        """,
        zh=r"""
        真阳性率和假阳性率的差距几乎消失了。这里准确率并没有下降——反而略有上升——因为按群体设定的阈值同时抵消了一部分测量偏差，
        而不看群体的模型察觉不到这种偏差。一般来说，公平性并不是白来的：加上约束，在同样信息下可达到的最佳准确率只会降低（或不变）；
        因此，面对一个已经充分利用其全部信息的模型，公平性约束要么以准确率为代价，要么持平。

        缩小哪一种差距，是一种选择，而不是一道算术题。当各群体的基础比率不同时，分类器一般无法同时做到群内校准和群间错误率相等 {cite:p}`zh-kleinberg2017inherent`；
        缩小一种差距，可能会拉大另一种差距。在这里，两组真实的成功率按构造是相同的，因此差距完全来自有偏的测量——而在真实数据中，这一点恰恰不能想当然。
        """,
    ),
    # ------------------------------------------------------------------ transparency
    md(
        en=r"""
        ## Transparency and explainability

        ### An interpretable model next to an opaque one

        A **linear** classifier computes a score for each digit $c$ as $s_c(x) = w_c^\top x + b_c$: one weight per
        pixel and class. Its weights can be drawn as ten images that show, for each digit, which pixels count for
        it (red) and against it (blue) — a complete description of the model. The one-hidden-layer network
        above has about a hundred thousand weights mixed through a nonlinearity; no picture of them tells you
        what it does. Both are trained the same way on the same data; the cell prints their held-out accuracy.
        """,
        zh=r"""
        ## 透明度与可解释性

        ### 可解释的模型与不透明的模型并排比较

        **线性**分类器为每个数字 $c$ 计算得分 $s_c(x) = w_c^\top x + b_c$：每个像素、每个类别一个权重。它的权重可以画成十张图，显示对每个数字而言，
        哪些像素支持它（红色）、哪些像素反对它（蓝色）——这就是模型的完整描述。上面那个带一个隐藏层的网络约有十万个权重，经过非线性混合在一起；
        任何一张权重图都说不清它在做什么。两个模型用同样的方式在同样的数据上训练；下面的单元格打印它们在留出数据上的准确率。
        """,
    ),
    code(
        """
        linear = train_classifier(hidden=None, steps=600)
        n_params = lambda m: sum(p.numel() for p in m.parameters())
        print(T("linear classifier:", "线性分类器："), n_params(linear), T("parameters, held-out accuracy", "个参数，留出准确率"), round(accuracy(linear, x_held, y_held), 3))
        print(T("neural network:   ", "神经网络：  "), n_params(mlp), T("parameters, held-out accuracy", "个参数，留出准确率"), round(accuracy(mlp, x_held, y_held), 3))

        w = linear[1].weight.detach().reshape(10, 28, 28)
        lim = float(w.abs().max())
        fig, axes = plt.subplots(1, 10, figsize=(11, 1.6))
        for d, ax in enumerate(axes):
            ax.imshow(w[d], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"{T('digit', '数字')} {d}", fontsize=9)
            ax.set_axis_off()
        fig.suptitle(T("The whole linear model: one weight image per digit (red: evidence for, blue: against)", "线性模型的全部：每个数字一张权重图（红：支持，蓝：反对）"), fontsize=10)
        plt.show()
        """
    ),
    md(
        en=r"""
        ### Explanations of an opaque model, and a sanity check

        **Explanation methods** attribute one prediction of an opaque model to its input pixels. Two common ones:

        * **saliency**: the gradient $\partial s_c / \partial x$ — how sensitive the score is to each pixel;
        * **integrated gradients** {cite:p}`sundararajan2017axiomatic`: average the gradient along the straight
          path from a baseline $x'$ (here the blank image) to $x$ and multiply by $x - x'$,
          $\text{IG}_i = (x_i - x'_i)\int_0^1 \partial_i s_c(x' + \alpha(x - x'))\,d\alpha$. It is *complete*:
          the attributions add up to $s_c(x) - s_c(x')$. For a linear model, it is exactly $w_c \odot x$.

        `captum` implements both. We check completeness and the linear case numerically.
        """,
        zh=r"""
        ### 对不透明模型的解释，以及一次合理性检验

        **解释方法**把不透明模型的某一次预测归因到各个输入像素上。两种常用方法：

        * **显著性图**：梯度 $\partial s_c / \partial x$——得分对每个像素有多敏感；
        * **积分梯度** {cite:p}`zh-sundararajan2017axiomatic`：沿着从基线 $x'$（这里取空白图像）到 $x$ 的直线路径对梯度求平均，再乘以 $x - x'$，
          $\text{IG}_i = (x_i - x'_i)\int_0^1 \partial_i s_c(x' + \alpha(x - x'))\,d\alpha$。它满足*完备性*：各像素归因之和等于 $s_c(x) - s_c(x')$。
          对线性模型，它恰好等于 $w_c \odot x$。

        `captum` 实现了这两种方法。我们用数值计算检验完备性和线性情形。
        """,
    ),
    code(
        """
        from captum.attr import IntegratedGradients, Saliency

        probe = x_held[:50]
        with torch.no_grad():
            target = mlp(probe).argmax(1)
        ig_attr, delta = IntegratedGradients(mlp).attribute(probe, baselines=torch.zeros_like(probe), target=target,
                                                            n_steps=64, return_convergence_delta=True)
        with torch.no_grad():
            gain = mlp(probe).gather(1, target[:, None]).squeeze(1) - mlp(torch.zeros_like(probe))[:, target].diagonal()
        ig_gap, ig_delta = f"{(ig_attr.flatten(1).sum(1) - gain).abs().max():.1e}", f"{delta.abs().max():.1e}"
        print(T(f"completeness: sum of IG attributions vs s(x) − s(blank), largest gap: {ig_gap} (captum's own delta: {ig_delta})",
                f"完备性：IG 归因之和与 s(x) − s(空白) 的最大差距：{ig_gap}（captum 自己报告的误差：{ig_delta}）"))

        ig_lin = IntegratedGradients(linear).attribute(probe, baselines=torch.zeros_like(probe), target=target, n_steps=16)
        exact = linear[1].weight.detach()[target].reshape(-1, 1, 28, 28) * probe
        print(T("linear model: IG vs w ⊙ x, largest difference < 1e-6 (float32 rounding):", "线性模型：IG 与 w ⊙ x 的最大差异 < 1e-6（float32 舍入误差）："),
              bool((ig_lin - exact).abs().max() < 1e-6))
        """
    ),
    md(
        en=r"""
        A map that *looks* plausible is not yet evidence. Adebayo et al. proposed a **sanity check**
        {cite:p}`adebayo2018sanity`: if an explanation explains the *model*, it must change when the model's
        learned weights are replaced by random ones. We re-initialise the network (same architecture, no
        training) and compare each method's maps for the trained and the random network by Spearman rank
        correlation of absolute attributions, averaged over 50 held-out digits. We also correlate each map with
        the input image itself: a map that mostly reproduces the digit tells us about the input, not about the
        model.
        """,
        zh=r"""
        一张*看起来*合理的图还不能算证据。Adebayo 等人提出了一种**合理性检验** {cite:p}`zh-adebayo2018sanity`：如果一种解释解释的是*模型*，
        那么把模型学到的权重换成随机权重之后，解释就必须随之改变。我们重新初始化网络（结构相同，不经训练），对每种方法，
        用归因绝对值的斯皮尔曼秩相关比较训练后网络与随机网络的解释图，并在 50 张留出数字上取平均。我们还计算每张解释图与输入图像本身的相关性：
        一张主要在复现数字本身的图，告诉我们的是输入，而不是模型。
        """,
    ),
    code(
        """
        torch.manual_seed(1)
        random_net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).eval()


        def attributions(method: str, model: torch.nn.Module) -> torch.Tensor:
            if method == "saliency":
                return Saliency(model).attribute(probe.clone().requires_grad_(), target=target, abs=True)
            return IntegratedGradients(model).attribute(probe, baselines=torch.zeros_like(probe), target=target, n_steps=64).abs()


        def mean_rank_corr(a: torch.Tensor, b: torch.Tensor) -> float:
            return float(np.mean([spearmanr(u.flatten().numpy(), v.flatten().numpy())[0] for u, v in zip(a, b)]))


        maps = {(m, k): attributions(m, net) for m in ("saliency", "IG") for k, net in (("trained", mlp), ("random", random_net))}
        names = {"saliency": T("saliency", "显著性图"), "IG": T("integrated gradients", "积分梯度")}
        print(f"{pad(T('method', '方法'), 22, '<')}{pad(T('trained vs random', '训练后 vs 随机'), 19)}{pad(T('trained vs input', '训练后 vs 输入'), 18)}{pad(T('random vs input', '随机 vs 输入'), 17)}")
        for m in ("saliency", "IG"):
            print(f"{pad(names[m], 22, '<')}{mean_rank_corr(maps[m, 'trained'], maps[m, 'random']):>19.3f}"
                  f"{mean_rank_corr(maps[m, 'trained'], probe):>18.3f}{mean_rank_corr(maps[m, 'random'], probe):>17.3f}")
        """
    ),
    code(
        """
        which = {"trained": T("trained network", "训练后的网络"), "random": T("random network", "随机网络")}
        cols = [(T("input", "输入"), probe)] + [(f"{names[m]}\\n{which[k]}", maps[m, k]) for m in ("saliency", "IG") for k in ("trained", "random")]
        fig, axes = plt.subplots(3, len(cols), figsize=(9, 5.6))
        for j, (title, imgs) in enumerate(cols):
            for i in range(3):
                img = imgs[i, 0]
                axes[i, j].imshow(img / img.max(), cmap="gray_r" if j == 0 else "inferno")
                axes[i, j].set_axis_off()
            axes[0, j].set_title(title, fontsize=9)
        fig.suptitle(T("Attribution maps of a trained network and of a random one", "训练后网络与随机网络的归因图"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        Read the table before the pictures. Integrated gradients with a blank baseline multiplies by the input,
        so pixels without ink get zero attribution whatever the network: its maps are strongly rank-correlated
        with the input image for the trained *and* the random network, and with each other. The raw gradient
        depends more on the weights. What explanations **can** tell: which input pixels a particular score was
        sensitive to, locally, and (for complete methods) how the score splits into parts. What they **cannot**
        tell: whether the model is right, why it learned what it learned, or how it will behave on other inputs;
        and a persuasive picture may owe more to the input than to the model. The linear model's weight images
        are a different kind of object — global and exact — bought at the price of the accuracy difference
        printed above.
        """,
        zh=r"""
        先看表，再看图。以空白图像为基线的积分梯度要乘以输入，因此没有墨迹的像素无论网络如何，归因都为零：无论是训练后的网络还是随机网络，
        它的解释图都与输入图像高度秩相关，彼此之间也高度相关。原始梯度则更依赖于权重。解释方法**能**告诉我们的：某一个得分在局部对哪些输入像素敏感，
        以及（对满足完备性的方法而言）这个得分如何拆分成各部分。它们**不能**告诉我们的：模型是否正确、它为什么学到了这些、在别的输入上会怎样表现；
        而且一张令人信服的图，可能更多地来自输入而不是模型。线性模型的权重图是另一类东西——全局的、精确的——代价则是上面打印出的那段准确率差距。
        """,
    ),
    # ------------------------------------------------------------------ accountability: model cards
    md(
        en=r"""
        ## Accountability

        Someone must be able to answer for a model: what it is for, what it was trained on, how well it works and
        for whom, and who made it. Two tools make that answerable in practice: documentation that travels with the
        model, and labels that travel with its output.

        ### Model cards

        Mitchell et al. proposed **model cards** {cite:p}`mitchell2019modelcards`: a short document with the model's
        details, intended use, the factors (groups, conditions) across which it was evaluated, its metrics, the
        evaluation and training data, quantitative analyses broken down by those factors, ethical considerations,
        and caveats. `course_lib.checkpoint.save_checkpoint` writes every model with a JSON card next to the
        weights; here it saves the linear classifier with a card that follows those sections, including accuracy
        per digit (the disaggregated evaluation the paper asks for).
        """,
        zh=r"""
        ## 问责

        必须有人能够为一个模型负责：它用来做什么、用什么数据训练、效果如何、对谁效果如何、由谁制作。有两种工具能让这些问题在实践中有据可答：
        随模型一起流转的文档，以及随输出一起流转的标识。

        ### 模型卡

        Mitchell 等人提出了**模型卡** {cite:p}`zh-mitchell2019modelcards`：一份简短的文档，写明模型的基本信息、预期用途、评估时考虑的因素（群体、条件）、
        评估指标、评估数据与训练数据、按这些因素分解的定量分析、伦理考量，以及注意事项和建议。`course_lib.checkpoint.save_checkpoint` 保存每个模型时，
        都会在权重旁边写一张 JSON 格式的卡片；这里用它保存线性分类器，卡片按上述各部分填写，其中包括每个数字上的准确率（即论文所要求的分解评估）。
        """,
    ),
    code(
        """
        from course_lib.checkpoint import load_checkpoint, save_checkpoint


        def make_linear(in_features: int, n_classes: int) -> torch.nn.Module:
            return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(in_features, n_classes))


        with torch.no_grad():
            pred = linear(x_held).argmax(1)
        per_digit_acc = {str(d): round(float((pred[y_held == d] == d).float().mean()), 3) for d in range(10)}
        card = {
            "model_details": T("Softmax regression on 28x28 grey-level digits; chapter 1 of the course_lib book.", "28x28 灰度数字上的 softmax 回归；course_lib 一书第 1 章。"),
            "intended_use": T("Teaching: an interpretable baseline whose weights can be inspected.", "教学：一个权重可供检查的可解释基线模型。"),
            "out_of_scope_use": T("Any decision about people; digits other than centred MNIST-style ones.", "任何关于人的决策；非居中的、不同于 MNIST 风格的数字。"),
            "factors": T("Digit class (0-9).", "数字类别（0-9）。"),
            "metrics": {"heldout_accuracy": round(accuracy(linear, x_held, y_held), 3), "accuracy_per_digit": per_digit_acc},
            "training_data": T("Offline MNIST split, training part: 4,000 digits, 400 per class.", "离线 MNIST 划分的训练部分：4,000 张数字，每类 400 张。"),
            "evaluation_data": T("Offline MNIST split, held-out part: 1,000 digits, 100 per class.", "离线 MNIST 划分的留出部分：1,000 张数字，每类 100 张。"),
            "ethical_considerations": T("No personal data beyond the handwriting of the MNIST writers.", "除 MNIST 书写者的笔迹外，不含个人数据。"),
            "caveats_and_recommendations": T("Accuracy differs by digit; see accuracy_per_digit.", "不同数字的准确率不同；见 accuracy_per_digit。"),
        }
        folder = Path(tempfile.mkdtemp())
        save_checkpoint(linear, folder / "linear_digits", kind="linear_classifier", config={"in_features": 784, "n_classes": 10}, card=card)
        written = json.loads((folder / "linear_digits.json").read_text(encoding="utf-8"))
        # en: the save time and library versions differ on every machine and run: shown as "…"
        # zh: 保存时间和库版本在每台机器、每次运行都不同：这里显示为“…”
        written.update(saved_at="…", library_versions="…")
        print(json.dumps(written, indent=1, ensure_ascii=False))

        reloaded, _ = load_checkpoint(folder / "linear_digits", make_linear, kind="linear_classifier")
        with torch.no_grad():
            print(T("reloaded model gives identical predictions:", "重新加载的模型预测完全相同："), bool(torch.equal(reloaded(x_held).argmax(1), pred)))
        """
    ),
    # ------------------------------------------------------------------ accountability: watermark
    md(
        en=r"""
        ### Provenance and labelling: a watermark, and its limits measured

        Labelling generated content can be **explicit** (a visible notice: "generated by AI") or **implicit**
        (information machines can read: file metadata, or a watermark hidden in the content itself). China's
        labelling measures define both kinds and oblige service providers to add them {cite:p}`cac2025labelling`, and the EU AI
        Act requires providers to mark synthetic content in a machine-readable format {cite:p}`eu2024aiact`.
        For text, Kirchenbauer et al. watermark a language model's output by biasing its sampling towards a
        keyed "green list" of tokens {cite:p}`kirchenbauer2023watermark`.

        `course_lib.responsible.watermark` implements the classic spread-spectrum idea for images. A secret key seeds a
        pattern $p$ of $\pm 1$ values; embedding adds $\delta p$ to the pixels and clips to $[0, 1]$. Detection
        centres the image, $c = x - \bar x$, and computes

        $$
        z = \frac{\langle c, p \rangle}{\lVert c \rVert}.
        $$

        Take an image that does not carry the pattern, and a key **drawn at random, independently of the image**.
        Then the signs of $p$ are fair coins whatever the image, so $\langle c, p\rangle$ is a sum of independent
        terms $\pm c_i$: mean 0, variance $\lVert c\rVert^2$; $z$ has mean 0 and variance 1, and Hoeffding's
        inequality bounds the probability *over the key* that the test $z > t$ fires — its **false-positive
        rate** — by $e^{-t^2/2}$, for any fixed image. That is a statement about a random key, not about the one
        key a provider uses: a fixed pattern may happen to correlate with what many images share (all digits
        share a mean image), and then its false-positive rate over a population of similar images can be far
        above the bound. We use $t = 4$, a bound of about $3 \cdot 10^{-4}$. The next cell embeds with
        $\delta = 0.1$ and checks both claims on the 1,000 held-out digits, scored against 20 different keys
        (20,000 clean image–key pairs, pooled over keys as the bound is); the cell after it takes the keys one
        at a time.
        """,
        zh=r"""
        ### 来源与标识：一个水印，以及它的局限（实测）

        对生成内容的标识可以是**显式**的（看得见的提示：“由人工智能生成”），也可以是**隐式**的（机器能读取的信息：文件元数据，或藏在内容本身中的水印）。
        中国的标识办法对这两类标识都作了界定，并要求服务提供者予以添加 {cite:p}`zh-cac2025labelling`；欧盟《人工智能法》要求提供者以机器可读的格式标记合成内容 {cite:p}`zh-eu2024aiact`。
        对文本，Kirchenbauer 等人给语言模型的输出加水印的办法是：在采样时偏向一个由密钥决定的“绿名单”词元集合 {cite:p}`zh-kirchenbauer2023watermark`。

        `course_lib.responsible.watermark` 为图像实现了经典的扩频思想。一个秘密密钥生成由 $\pm 1$ 组成的图案 $p$；嵌入时把 $\delta p$ 加到像素上并截断到 $[0, 1]$。
        检测时先把图像中心化，$c = x - \bar x$，再计算

        $$
        z = \frac{\langle c, p \rangle}{\lVert c \rVert}.
        $$

        取一张不带该图案的图像，再**独立于图像随机抽取**一个密钥。无论图像是什么，$p$ 的各个符号都像公平的硬币，
        所以 $\langle c, p\rangle$ 是相互独立的项 $\pm c_i$ 之和：均值为 0，方差为 $\lVert c\rVert^2$；$z$ 的均值为 0、方差为 1。
        由霍夫丁不等式，对任意一张固定的图像，检验 $z > t$ 被触发的概率（对密钥的随机性而言），即**假阳性率**，不超过 $e^{-t^2/2}$。
        这句话说的是随机抽取的密钥，而不是服务提供者实际使用的那一个密钥：一个固定的图案可能恰好与许多图像的共同结构相关
        （所有数字共享一个平均图像），那么它在一批相似图像上的假阳性率就可能远远超过这个上界。我们取 $t = 4$，上界约为 $3 \cdot 10^{-4}$。
        下一个单元格以 $\delta = 0.1$ 嵌入水印，并在 1,000 张留出数字上、用 20 个不同的密钥（共 20,000 个干净的图像—密钥对，
        与上界一样对密钥取平均）检验这两点；再下一个单元格则逐个密钥地考察。
        """,
    ),
    code(
        """
        KEY, STRENGTH, THRESHOLD = 2024, 0.1, 4.0
        marked = embed_watermark(x_held, KEY, STRENGTH)
        clean_scores = torch.cat([watermark_score(x_held, k) for k in range(20)])
        clean_mean, clean_sd = round(float(clean_scores.mean()), 3), round(float(clean_scores.std()), 3)
        print(T(f"clean images: mean score {clean_mean}, sd {clean_sd}", f"干净图像：得分均值 {clean_mean}，标准差 {clean_sd}"))
        print(T("false-positive rate at t = 4:", "t = 4 时的假阳性率："), float((clean_scores > THRESHOLD).float().mean()),
              T("  bound e^(-t²/2):", "  上界 e^(-t²/2)："), f"{false_positive_bound(THRESHOLD):.1e}")
        print(T("watermarked images detected:", "检出的含水印图像比例："), round(float(detect_watermark(marked, KEY, THRESHOLD).float().mean()), 3),
              T("  mean score", "  平均得分"), round(float(watermark_score(marked, KEY).mean()), 2))
        print(T("root-mean-square pixel change:", "像素变化的均方根："), round(float((marked - x_held).pow(2).mean().sqrt()), 4))

        fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), gridspec_kw={"width_ratios": [1, 1.3]})
        show_images(torch.cat([x_held[:4], marked[:4], (marked[:4] - x_held[:4]).abs() / STRENGTH]), nrow=4, ax=axes[0],
                    title=T("original / watermarked / difference", "原图 / 含水印 / 差异"))
        axes[1].hist(clean_scores.numpy(), bins=60, density=True, alpha=0.6, label=T("clean (20 keys)", "干净图像（20 个密钥）"))
        axes[1].hist(watermark_score(marked, KEY).numpy(), bins=30, density=True, alpha=0.6, label=T("watermarked", "含水印"))
        axes[1].axvline(THRESHOLD, color="k", ls="--", label=T("threshold t = 4", "阈值 t = 4"))
        axes[1].set_xlabel(T("detection score z", "检测得分 z"))
        axes[1].legend(fontsize=8)
        plt.tight_layout()
        plt.show()
        """
    ),
    code(
        """
        # en: one key at a time: 500 keys other than the chapter's, each tried on the 1,000 held-out digits
        # zh: 逐个密钥考察：除本章密钥外的 500 个密钥，每个都在 1,000 张留出数字上检验
        keys = range(1000, 1500)
        fpr_key, det_key, mean_key = [], [], []
        for k in keys:
            clean_k = watermark_score(x_held, k)
            fpr_key.append(float((clean_k > THRESHOLD).float().mean()))
            mean_key.append(float(clean_k.mean()))
            det_key.append(float(detect_watermark(embed_watermark(x_held, k, STRENGTH), k, THRESHOLD).float().mean()))
        fpr_key, det_key, mean_key = torch.tensor(fpr_key), torch.tensor(det_key), torch.tensor(mean_key)
        bound = false_positive_bound(THRESHOLD)
        det_chapter = float(detect_watermark(marked, KEY, THRESHOLD).float().mean())
        print(T("false-positive rate pooled over the 500 keys:", "500 个密钥合并计算的假阳性率："), f"{float(fpr_key.mean()):.1e}",
              T("  bound:", "  上界："), f"{bound:.1e}")
        print(T("keys whose own false-positive rate exceeds the bound:", "自身假阳性率超过上界的密钥数："), int((fpr_key > bound).sum()),
              T("of 500; the worst key's rate:", "（共 500 个）；最差密钥的假阳性率："), f"{float(fpr_key.max()):.3f}",
              T(f"(= {float(fpr_key.max()) / bound:.0f} × the bound)", f"（是上界的 {float(fpr_key.max()) / bound:.0f} 倍）"))
        sd_k, max_k = round(float(mean_key.std()), 2), round(float(mean_key.max()), 2)
        print(T(f"mean clean score of each key: sd over keys {sd_k}, largest {max_k}",
                f"每个密钥在干净图像上的平均得分：各密钥间的标准差 {sd_k}，最大值 {max_k}"))
        lo, p5, med, hi = (round(float(v), 3) for v in torch.quantile(det_key, torch.tensor([0.0, 0.05, 0.5, 1.0])))
        print(T(f"detection rate over keys: lowest {lo}, 5th percentile {p5}, median {med}, highest {hi}",
                f"各密钥的检出率：最低 {lo}，第 5 百分位数 {p5}，中位数 {med}，最高 {hi}"))
        share_below = round(float((det_key < det_chapter).float().mean()), 3)
        print(T(f"the chapter's key {KEY}: detection {round(det_chapter, 3)}, better than this share of the 500 keys: {share_below}",
                f"本章的密钥 {KEY}：检出率 {round(det_chapter, 3)}，高于 500 个密钥中这一比例（{share_below}）的密钥"))
        """
    ),
    md(
        en=r"""
        Pooled over keys, the false-positive rate stays below the bound, as Hoeffding promises. One key at a
        time it does not: a handful of the 500 keys flag more clean digits than the bound allows, the worst of
        them dozens of times more, because their pattern happens to line up with the shape every digit shares
        (the mean clean score moves from key to key by about half a standard deviation). The detection rate
        spreads over keys for the same reason, from about half of the digits to all 1,000; the chapter's key
        2024 is one of the lucky ones, and the detection rates measured with it below are on the good side of
        what a key drawn at random would give. A provider who picks one key should measure its false-positive
        rate on the kind of content it will see, not quote the bound.
        """,
        zh=r"""
        对密钥取平均时，假阳性率确实低于上界，正如霍夫丁不等式所保证的。逐个密钥来看就不是这样了：500 个密钥中有若干个误判的干净数字多于上界允许的数量，
        最差的一个要高出几十倍，因为它们的图案恰好与所有数字共有的形状对齐（各密钥在干净图像上的平均得分相差约半个标准差）。
        出于同样的原因，检出率也随密钥而变，从大约一半到全部 1,000 张数字都能检出；本章的密钥 2024 属于运气好的那一类，
        下面用它测得的检出率，比随机抽取一个密钥通常能得到的要好。只使用一个密钥的服务提供者，应当在它实际会遇到的那类内容上测量这个密钥的假阳性率，而不是直接引用这个上界。
        """,
    ),
    md(
        en=r"""
        **Limits, measured.** A watermark is only as good as its survival of what happens to an image after it is
        made. The next cell attacks the watermarked digits with Gaussian pixel noise, real JPEG compression
        (Pillow's encoder), coarse quantisation to a few grey levels, a mild blur, shifts by whole pixels and
        cropping (a border set to blank), and measures the detection rate at the same threshold. It also measures
        the price of strength: a stronger pattern survives more but changes the image more.
        """,
        zh=r"""
        **局限，用数字说话。** 水印好不好，取决于图像生成之后经历各种处理时它能否留存。下一个单元格对含水印的数字施加各种攻击：高斯像素噪声、真实的 JPEG 压缩（Pillow 的编码器）、
        量化到少数几个灰度级、轻微模糊、整像素平移、裁剪（把边框置为空白），并在同一阈值下测量检出率。它还测量了强度的代价：图案越强，越能抵抗攻击，但对图像的改动也越大。
        """,
    ),
    code(
        """
        from PIL import Image


        def jpeg(images: torch.Tensor, quality: int) -> torch.Tensor:
            out = []
            for img in images:
                buf = io.BytesIO()
                Image.fromarray((img[0].numpy() * 255).round().astype(np.uint8)).save(buf, format="JPEG", quality=quality)
                out.append(torch.from_numpy(np.asarray(Image.open(buf), dtype=np.float32) / 255.0))
            return torch.stack(out)[:, None]


        def crop_border(images: torch.Tensor, k: int) -> torch.Tensor:
            out = torch.zeros_like(images)
            out[..., k:28 - k, k:28 - k] = images[..., k:28 - k, k:28 - k]
            return out


        g_attack = make_generator(3)
        attacks = {
            T("Gaussian noise σ", "高斯噪声 σ"): [(s, lambda x, s=s: (x + s * torch.randn(x.shape, generator=g_attack)).clamp(0, 1)) for s in (0.0, 0.05, 0.1, 0.2, 0.4)],
            T("JPEG quality", "JPEG 质量"): [(q, lambda x, q=q: jpeg(x, q)) for q in (95, 75, 50, 25, 10)],
            T("grey levels", "灰度级数"): [(L, lambda x, L=L: (x * (L - 1)).round() / (L - 1)) for L in (256, 16, 8, 4, 2)],
            T("blur (box filter size)", "模糊（均值滤波窗口）"): [(k, lambda x, k=k: F.avg_pool2d(x, k, stride=1, padding=k // 2, count_include_pad=False) if k > 1 else x) for k in (1, 3)],
            T("shift (pixels)", "平移（像素）"): [(s, lambda x, s=s: torch.roll(x, shifts=s, dims=-1)) for s in (0, 1, 2)],
            T("cropped border (pixels)", "裁掉的边框（像素）"): [(k, lambda x, k=k: crop_border(x, k)) for k in (0, 2, 4, 6, 8)],
        }
        detection = {}
        for name, steps in attacks.items():
            rates = [round(float(detect_watermark(attack(marked), KEY, THRESHOLD).float().mean()), 3) for _, attack in steps]
            detection[name] = ([level for level, _ in steps], rates)
            print(f"{pad(name, 26, '<')}", "  ".join(f"{level}: {r:.3f}" for level, r in zip(*detection[name])))
        """
    ),
    code(
        """
        strengths = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3]
        print(f"{pad(T('strength δ', '强度 δ'), 10)}{pad(T('RMS change', '像素变化均方根'), 15)}{pad(T('detected', '检出率'), 10)}{pad(T('after JPEG 50', 'JPEG 50 之后'), 15)}")
        trade = []
        for s in strengths:
            m = embed_watermark(x_held, KEY, s)
            rms = float((m - x_held).pow(2).mean().sqrt())
            det = float(detect_watermark(m, KEY, THRESHOLD).float().mean())
            det_jpeg = float(detect_watermark(jpeg(m, 50), KEY, THRESHOLD).float().mean())
            trade.append((rms, det, det_jpeg))
            print(f"{s:>10}{rms:>15.4f}{det:>10.3f}{det_jpeg:>15.3f}")

        fig, axes = plt.subplots(1, 3, figsize=(11, 3))
        for ax, key in zip(axes[:2], list(detection)[:2]):
            ax.plot(detection[key][0], detection[key][1], "o-")
            ax.set_xlabel(key)
            ax.set_ylabel(T("detection rate", "检出率"))
            ax.set_ylim(-0.05, 1.05)
        axes[1].invert_xaxis()
        trade = np.array(trade)
        axes[2].plot(trade[:, 0], trade[:, 1], "o-", label=T("no attack", "无攻击"))
        axes[2].plot(trade[:, 0], trade[:, 2], "s-", label=T("after JPEG quality 50", "JPEG 质量 50 之后"))
        axes[2].set_xlabel(T("RMS pixel change (visibility)", "像素变化均方根（可见度）"))
        axes[2].set_ylabel(T("detection rate", "检出率"))
        axes[2].legend(fontsize=8)
        fig.suptitle(T("How a simple watermark breaks, and what strength costs", "简单水印如何失效，以及强度的代价"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        Metadata, the other kind of implicit label, has the opposite weakness: it survives any *pixel* change but
        not a copy of the pixels into a new file. The cell writes a PNG with a text chunk that labels it, reads it
        back, then saves the pixels alone, as a screenshot or a careless converter would.
        """,
        zh=r"""
        元数据是另一类隐式标识，它的弱点恰好相反：任何*像素*改动都不影响它，但只要把像素复制到一个新文件里，它就消失了。
        下面的单元格写出一个带文本块标识的 PNG 文件，读回来，然后只保存像素——就像截图或随手转换格式时那样。
        """,
    ),
    code(
        """
        from PIL import PngImagePlugin

        pixels = (marked[0, 0].numpy() * 255).round().astype(np.uint8)
        info = PngImagePlugin.PngInfo()
        info.add_text("AIGC", T("generated; provider=course_lib chapter 1", "生成内容；提供者=course_lib 第 1 章"))
        labelled, copied = io.BytesIO(), io.BytesIO()
        Image.fromarray(pixels).save(labelled, format="PNG", pnginfo=info)
        read_back = Image.open(io.BytesIO(labelled.getvalue()))
        print(T("metadata in the labelled file:", "带标识文件中的元数据："), read_back.text)
        Image.fromarray(np.asarray(read_back)).save(copied, format="PNG")
        copy = Image.open(io.BytesIO(copied.getvalue()))
        print(T("metadata after copying the pixels:", "复制像素之后的元数据："), copy.text)
        copy_tensor = torch.from_numpy(np.asarray(copy, dtype=np.float32) / 255.0)[None, None]
        print(T("watermark still detected in the copy:", "副本中仍能检出水印："), bool(detect_watermark(copy_tensor, KEY, THRESHOLD)[0]),
              T("  score", "  得分"), round(float(watermark_score(copy_tensor, KEY)[0]), 2))
        """
    ),
    md(
        en=r"""
        So neither kind of label is sufficient alone: metadata disappears when pixels are copied, a simple
        watermark disappears when pixels are shifted or blurred, and anyone who knows the key can subtract the
        pattern. Robust watermarking is an active research area, and this is why regulations pair technical
        labels with obligations on people: the Chinese labelling measures forbid maliciously deleting, altering
        or concealing labels and require platforms to check for them {cite:p}`cac2025labelling`.

        ### Who answers for what

        Accountability is assigned to roles. China's Interim Measures make the **provider** of a generative AI
        service bear the responsibilities of a producer of online information content, and require it to label
        generated images and video {cite:p}`cac2023interim`. The EU AI Act distinguishes the **provider** who
        develops a system or places it on the market from the **deployer** who uses it under its authority (other
        than for a personal, non-professional activity), with different obligations for each {cite:p}`eu2024aiact`. The NIST AI RMF organises an organisation's own
        risk management into four functions — Govern, Map, Measure, Manage — and places accountability
        structures under Govern {cite:p}`nist2023airmf`. Model cards, data documentation and labels are how
        those roles can be checked afterwards.
        """,
        zh=r"""
        因此，任何一种标识单独使用都不够：复制像素，元数据就消失；平移或模糊像素，简单水印就消失；而任何知道密钥的人都能把图案减掉。
        鲁棒水印至今仍是活跃的研究领域，这也是为什么监管规定把技术标识和对人的义务结合起来：中国的标识办法禁止恶意删除、篡改、隐匿标识，
        并要求平台对标识进行核验 {cite:p}`zh-cac2025labelling`。

        ### 谁对什么负责

        问责落实到角色上。中国的《暂行办法》规定，生成式人工智能服务的**提供者**依法承担网络信息内容生产者责任，并应对生成的图片、视频等内容进行标识 {cite:p}`zh-cac2023interim`。
        欧盟《人工智能法》区分开发系统或将其投放市场的**提供者**与在其授权下使用系统（个人非职业活动除外）的**部署者**，两者承担不同的义务 {cite:p}`zh-eu2024aiact`。
        NIST 的《人工智能风险管理框架》把组织自身的风险管理归为四项职能——治理、映射、测量、管理——并把问责结构放在“治理”之下 {cite:p}`zh-nist2023airmf`。
        模型卡、数据文档和标识，正是事后核查这些角色是否尽责的依据。
        """,
    ),
    # ------------------------------------------------------------------ regulation
    md(
        en=r"""
        ## The regulatory landscape, as dated facts

        Laws change; dates do not. The table lists the instruments this book refers to, with what each says about
        the concerns of this chapter. Check the current text before relying on any of them.

        | date | instrument | what it does |
        | --- | --- | --- |
        | 2023-01 (published 26 January) | **NIST AI Risk Management Framework 1.0** (NIST AI 100-1), United States {cite:p}`nist2023airmf` | A *voluntary* framework. Four functions: Govern, Map, Measure, Manage. Characteristics of trustworthy AI include being valid and reliable, safe, secure and resilient, accountable and transparent, explainable and interpretable, privacy-enhanced, and fair with harmful bias managed. |
        | 2023-08-15 in force (issued 2023-07-10) | **Interim Measures for the Management of Generative AI Services** (生成式人工智能服务管理暂行办法), China; Cyberspace Administration of China with six other departments {cite:p}`cac2023interim` | Applies to generative AI services offered to the public in China. Calls for inclusive and prudent, categorised and graded supervision; sets requirements on training data and data annotation; makes providers responsible as producers of online content; requires labelling of generated images and video; provides for security assessment and algorithm filing; asks providers to prevent minors' over-reliance. |
        | 2024-08-01 in force (published 2024-07-12) | **EU AI Act**, Regulation (EU) 2024/1689 {cite:p}`eu2024aiact` | A risk-based law. In its published timetable: prohibited practices apply from 2025-02-02; obligations for general-purpose AI models from 2025-08-02; most other provisions from 2026-08-02, including the Article 50 transparency duties (tell people they are interacting with an AI system; mark synthetic content in a machine-readable format; disclose deep fakes). |
        | 2025-09-01 in force (issued 2025-03-14) | **Measures for Labelling AI-Generated Synthetic Content** (人工智能生成合成内容标识办法), China; CAC, MIIT, Ministry of Public Security, NRTA {cite:p}`cac2025labelling` | Covers generated text, images, audio, video and virtual scenes. Defines **explicit** labels (perceptible text, sound or graphics) and **implicit** labels (in file metadata, e.g. content attributes and the provider's name or code), and obliges service providers to add them; platforms must check for implicit labels and flag suspected synthetic content; users must declare it; labels must not be maliciously removed or altered. |

        The approaches differ — a voluntary framework, service-level rules, a horizontal risk-based law — but they
        converge on the technical questions of this chapter: documentation (model cards), measurement (of bias,
        of privacy risk), and labelling of generated content (watermarks and metadata).
        """,
        zh=r"""
        ## 监管格局：带日期的事实

        法规会变，日期不会。下表列出本书提到的几部文件，以及它们对本章所述问题的规定。引用其中任何一条之前，请先查阅现行文本。

        | 日期 | 文件 | 主要内容 |
        | --- | --- | --- |
        | 2023 年 1 月（1 月 26 日发布） | 美国 **NIST《人工智能风险管理框架》1.0**（NIST AI 100-1） {cite:p}`zh-nist2023airmf` | *自愿采用*的框架。四项职能：治理、映射、测量、管理。可信人工智能的特征包括：有效且可靠，安全，安保且有韧性，可问责且透明，可解释且可理解，增强隐私，公平且有害偏差得到管控。 |
        | 2023-08-15 起施行（2023-07-10 公布） | 中国 **《生成式人工智能服务管理暂行办法》**；国家互联网信息办公室会同其他六个部门 {cite:p}`zh-cac2023interim` | 适用于在中国境内向公众提供的生成式人工智能服务。实行包容审慎和分类分级监管；对训练数据处理和数据标注提出要求；提供者依法承担网络信息内容生产者责任；要求对生成的图片、视频等内容进行标识；规定了安全评估和算法备案等制度；要求提供者采取措施防范未成年人过度依赖或沉迷。 |
        | 2024-08-01 起生效（2024-07-12 公布） | **欧盟《人工智能法》**，条例 (EU) 2024/1689 {cite:p}`zh-eu2024aiact` | 基于风险的立法。按其公布的时间表：禁止性做法自 2025-02-02 起适用；通用人工智能模型的义务自 2025-08-02 起适用；其余大部分条款自 2026-08-02 起适用，其中包括第 50 条的透明度义务（告知用户正在与人工智能系统交互；以机器可读格式标记合成内容；披露深度伪造）。 |
        | 2025-09-01 起施行（2025-03-14 公布） | 中国 **《人工智能生成合成内容标识办法》**；国家互联网信息办公室、工业和信息化部、公安部、国家广播电视总局 {cite:p}`zh-cac2025labelling` | 适用于生成合成的文本、图片、音频、视频、虚拟场景等内容。界定了**显式标识**（用户可明显感知的文字、声音、图形等）和**隐式标识**（写入文件元数据，例如内容属性、服务提供者名称或编码），并要求服务提供者予以添加；传播平台应核验隐式标识，并对疑似生成合成内容进行提示；用户发布时应主动声明；任何组织和个人不得恶意删除、篡改、隐匿标识。 |

        几种做法各不相同——一个自愿框架、针对服务的规章、一部基于风险的横向立法——但它们都归结到本章的技术问题上：文档（模型卡）、测量（偏差、隐私风险），
        以及生成内容的标识（水印和元数据）。
        """,
    ),
    # ------------------------------------------------------------------ technology and ethics
    md(
        en=r"""
        ## How technology and ethics shape each other

        Every section of this chapter ended in a **trade-off that the code measured**, and each trade-off is a
        place where technology and ethics push on each other:

        * **Privacy.** Memorisation was a technical finding (training data can be extracted
          {cite:p}`carlini2021extracting`); differential privacy turned the ethical demand into a definition with
          a parameter, and DP-SGD {cite:p}`abadi2016dpsgd` into an algorithm. The price is measurable: the error
          of our count grows like $1/\varepsilon$.
        * **Fairness.** A generator reproduced the skew of its data; group metrics made the disparity of a
          decision visible; a mitigation closed one gap, and we measured what it did to accuracy. Which gap to close
          is an ethical choice that no algorithm makes for us {cite:p}`kleinberg2017inherent`.
        * **Transparency.** Explanation methods were invented because models became opaque; sanity checks
          {cite:p}`adebayo2018sanity` showed that some explanations say more about the input than the model, which
          sends us back to simpler models where the stakes are high.
        * **Accountability.** Labelling rules {cite:p}`cac2025labelling,eu2024aiact` presuppose that marking
          content is technically possible; our measurements show a simple watermark is easy to break, which is
          why the rules also bind people, and why research on robust watermarks continues.

        Ethics sets the targets and technology defines what is achievable and at what cost — and each new
        capability, such as better generators, creates the next question. [Chapter 6](06_responsible_generation.ipynb) measures these concerns
        again, on the neural generators of chapter 5.
        """,
        zh=r"""
        ## 技术与伦理如何相互塑造

        本章每一节都以一个**由代码测出的权衡**结束，而每一个权衡都是技术与伦理相互推动的地方：

        * **隐私。** “记忆”起初是一个技术发现（训练数据可以被提取出来 {cite:p}`zh-carlini2021extracting`）；差分隐私把伦理诉求变成了一个带参数的定义，
          DP-SGD {cite:p}`zh-abadi2016dpsgd` 又把它变成了一个算法。代价是可以测量的：我们那个计数的误差按 $1/\varepsilon$ 增长。
        * **公平性。** 生成器复现了数据中的偏斜；分组指标让决策中的差异变得可见；一种修正方法消除了其中一种差距，我们也测量了它对准确率的影响。
          缩小哪一种差距，是算法无法替我们做出的伦理选择 {cite:p}`zh-kleinberg2017inherent`。
        * **透明度。** 之所以会出现解释方法，是因为模型变得不透明；合理性检验 {cite:p}`zh-adebayo2018sanity` 表明，有些解释反映的更多是输入而不是模型，
          这又促使我们在高风险场合回到更简单的模型。
        * **问责。** 标识规定 {cite:p}`zh-cac2025labelling,zh-eu2024aiact` 的前提是：在技术上能够给内容打标记；而我们的测量表明，简单的水印很容易被破坏，
          这正是规定同时约束人的原因，也是鲁棒水印研究仍在继续的原因。

        伦理设定目标，技术决定什么能够实现、代价几何——而每一种新能力（比如更好的生成器）又会带来下一个问题。[第 6 章](06_responsible_generation.ipynb)会在第 5 章的神经网络生成器上再次测量这些问题。
        """,
    ),
    # ------------------------------------------------------------------ exercises
    md(
        en=r"""
        ## Exercises

        1. **Where does copying stop?** For the copying model, find the smallest noise level $\sigma$ (on a finer
           grid) at which the median ratio $r$ exceeds 0.9. Look at its samples: is that model "private" in a
           useful sense?
        2. **Composition.** An analyst asks the same count $k$ times, each answer ε-DP with $\varepsilon = 0.5$,
           and averages the answers. Simulate the attacker of the privacy section for $k = 1, 4, 16$ and compare
           with the bound $e^{k\varepsilon}/(1+e^{k\varepsilon})$ that basic composition gives
           {cite:p}`dwork2014algorithmic`.
        3. **Another fairness constraint.** Rerun the `ThresholdOptimizer` with
           `constraints="demographic_parity"`. Which gap closes, which one stays, and what happens to accuracy?
        4. **A stronger watermark.** Find the smallest strength $\delta$ at which at least 95 % of the held-out
           digits are still detected after JPEG compression at quality 25. How visible is it (RMS change)?
        5. **A factor for the model card.** Split the held-out digits into "thin" and "thick" writing by the
           median amount of ink per image and report the linear classifier's accuracy per group with
           `MetricFrame`. Add it to the card.
        """,
        zh=r"""
        ## 练习

        1. **复制在哪里停止？** 对复制模型，在更细的网格上找出使比值 $r$ 的中位数超过 0.9 的最小噪声水平 $\sigma$。看看它的样本：在实际有用的意义上，这个模型算得上“保护隐私”吗？
        2. **组合。** 一位分析师把同一个计数查询问了 $k$ 次，每次回答都满足 $\varepsilon = 0.5$ 的差分隐私，然后对这些回答取平均。
           对 $k = 1, 4, 16$ 模拟隐私一节中的攻击者，并与基本组合定理给出的上界 $e^{k\varepsilon}/(1+e^{k\varepsilon})$ 相比较 {cite:p}`zh-dwork2014algorithmic`。
        3. **另一种公平性约束。** 用 `constraints="demographic_parity"` 重新运行 `ThresholdOptimizer`。哪种差距缩小了，哪种依然存在，准确率又如何变化？
        4. **更强的水印。** 找出使至少 95% 的留出数字在质量为 25 的 JPEG 压缩后仍能检出的最小强度 $\delta$。此时水印有多明显（像素变化均方根）？
        5. **为模型卡添加一个因素。** 按每张图像墨量的中位数，把留出数字分为“细笔画”和“粗笔画”两组，用 `MetricFrame` 报告线性分类器在每组上的准确率，并把结果写进模型卡。
        """,
    ),
    solution(
        1,
        en="",
        zh="",
        code=r"""
        for s in np.arange(0.1, 1.0, 0.025):
            r = memorisation_ratio(sample_copying(1000, float(s)), x_mem, x_ref).median()
            if r > 0.9:
                print(round(float(s), 3), round(float(r), 3))
                break
        show_images(sample_copying(10, float(s)), nrow=10)
        """,
        en_after=r"""
        By the time the ratio passes 0.9 the noise dominates the digits: the ratio is a test for copying, not a
        measure of quality. A useful model must pass both tests.
        """,
        zh_after=r"""
        当比值超过 0.9 时，噪声已经盖过了数字：这个比值检验的是“是否复制”，而不是样本质量。一个有用的模型必须同时通过这两项检验。
        """,
    ),
    solution(
        2,
        en="",
        zh="",
        code=r"""
        for k in (1, 4, 16):
            a = noisy_count(has_property, 0.5, n_draws=50_000 * k, generator=g).reshape(-1, k).mean(1)
            b = noisy_count(neighbour, 0.5, n_draws=50_000 * k, generator=g).reshape(-1, k).mean(1)
            acc = 0.5 * (float((a > true_count - 0.5).double().mean()) + float((b <= true_count - 0.5).double().mean()))
            print(k, round(acc, 3), round(np.exp(k * 0.5) / (1 + np.exp(k * 0.5)), 3))
        """,
        en_after=r"""
        Averaging $k$ answers shrinks the noise, so the attacker's accuracy rises with $k$ while staying below
        the composed bound: privacy loss adds up over queries.
        """,
        zh_after=r"""
        对 $k$ 个回答取平均会减小噪声，所以攻击者的准确率随 $k$ 上升，但始终低于组合后的上界：隐私损失会随查询次数累加。
        """,
    ),
    solution(
        3,
        en="",
        zh="",
        code=r"""
        dp = ThresholdOptimizer(estimator=screen, constraints="demographic_parity", prefit=True, predict_method="predict_proba")
        dp.fit(features[tr], outcome[tr], sensitive_features=group[tr])
        d = dp.predict(features[te], sensitive_features=group[te], random_state=0)
        print(MetricFrame(metrics=metrics, y_true=outcome[te], y_pred=d, sensitive_features=group[te]).by_group.round(3))
        """,
        en_after=r"""
        Demographic parity equalises the selection rates; compare its true and false positive rates per group and
        its accuracy with the two runs in the chapter.
        """,
        zh_after=r"""
        人口统计均等使各组的选中率相同；请把它各组的真阳性率、假阳性率以及准确率，与本章的两次运行结果相比较。
        """,
    ),
    solution(
        4,
        en="",
        zh="",
        code=r"""
        for s in np.arange(0.1, 0.6, 0.05):
            m = embed_watermark(x_held, KEY, float(s))
            if detect_watermark(jpeg(m, 25), KEY, THRESHOLD).float().mean() >= 0.95:
                print(round(float(s), 2), round(float((m - x_held).pow(2).mean().sqrt()), 4))
                break
        """,
        en_after=r"""
        Robustness is bought with visibility; look at `show_images(m[:10])`.
        """,
        zh_after=r"""
        鲁棒性是用可见度换来的；用 `show_images(m[:10])` 看一看。
        """,
    ),
    solution(
        5,
        en="",
        zh="",
        code=r"""
        ink = x_held.flatten(1).sum(1)
        thickness = np.where(ink > ink.median(), "thick", "thin")
        with torch.no_grad():
            p = linear(x_held).argmax(1).numpy()
        frame = MetricFrame(metrics={"accuracy": accuracy_score}, y_true=y_held.numpy(), y_pred=p, sensitive_features=thickness)
        print(frame.by_group)
        card["metrics"]["accuracy_by_thickness"] = frame.by_group["accuracy"].round(3).to_dict()
        """,
    ),
    md(
        en=r"""
        ## References

        See the [references page](../../book/en/references.md) for the full bibliography. The book's closing
        pages discuss [applications](../../book/en/applications.md), [trends and challenges](../../book/en/trends.md)
        and [frequently asked questions](../../book/en/faq.md).
        """,
        zh=r"""
        ## 参考文献

        完整的参考文献列表见[参考文献页](../../book/zh/references.md)。本书的结尾几页讨论了[应用](../../book/zh/applications.md)、
        [趋势与挑战](../../book/zh/trends.md)以及[常见问题](../../book/zh/faq.md)。
        """,
    ),
]
