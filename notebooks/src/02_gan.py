"""Chapter 2: GANs, the mathematics — the minimax game, the optimal discriminator, C(G) = -log 4 + 2 JSD,
saturating vs non-saturating generator losses, the training algorithm and mode collapse on a ring of Gaussians."""
from twins import code, md, objectives, solution

CELLS = [
    # ------------------------------------------------------------------------------------------------ intro
    md(
        en=r"""
        # 2 · GANs: the mathematics

        A generative adversarial network (GAN) {cite:p}`goodfellow2014gan` learns to produce samples that look
        as if they came from a data distribution $p_\text{data}$ — without ever writing down a density. It does
        so with two networks that play a game:

        * the **generator** $G$ turns random noise $z \sim p_z$ (here a standard normal) into a sample
          $G(z)$; the distribution of $G(z)$ is called $p_g$;
        * the **discriminator** $D$ looks at a sample $x$ and outputs $D(x) \in (0, 1)$, its belief that $x$ is
          real rather than generated.

        The picture usually given is a forger and a detective: the detective learns to spot forgeries, the
        forger learns from the detective's verdicts, and if both improve, the forgeries end up indistinguishable
        from the real thing. This chapter makes that picture precise, and checks every step by computation:

        1. the value $V(D, G)$ of the game, and what each player actually minimises — two *different* losses;
        2. the optimal discriminator $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))$, derived and then
           compared with a trained network;
        3. the generator's objective against $D^*$, $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)$,
           checked by numerical integration;
        4. why practice replaces the generator's loss of the game by the "non-saturating" one (a gradient
           picture);
        5. the training algorithm, run on eight Gaussians on a ring; **mode collapse**, measured; and one remedy,
           measured.

        Everything runs on a CPU in well under a minute. The reusable pieces live in `course_lib.models.gan`, which
        chapter 5 uses again for a convolutional GAN on MNIST.
        """,
        zh=r"""
        # 2 · 生成对抗网络的数学

        生成对抗网络（GAN）{cite:p}`zh-goodfellow2014gan` 学习生成看起来像是来自数据分布 $p_\text{data}$ 的样本，
        而且自始至终不需要写出任何概率密度。它靠两个相互博弈的网络做到这一点：

        * **生成器** $G$ 把随机噪声 $z \sim p_z$（本章取标准正态分布）变成样本 $G(z)$；$G(z)$ 的分布记作 $p_g$；
        * **判别器** $D$ 观察样本 $x$，输出 $D(x) \in (0, 1)$，表示它认为 $x$ 是真实样本（而非生成样本）的把握。

        常见的比喻是造假者与侦探：侦探学会识破赝品，造假者根据侦探的判断改进手艺；如果双方都不断进步，赝品最终与真品无法区分。
        本章把这个比喻变成精确的数学，并且每一步都用计算来验证：

        1. 博弈的价值函数 $V(D, G)$，以及两位玩家各自真正最小化的是什么——两个*不同*的损失；
        2. 最优判别器 $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))$：先推导，再与训练出的网络对照；
        3. 面对 $D^*$ 时生成器的目标 $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)$，用数值积分验证；
        4. 为什么实践中用“非饱和”损失代替博弈中生成器原本的损失（看梯度就明白）；
        5. 训练算法：在圆环上的八个高斯分布上运行；测量**模式坍塌**；尝试一种补救方法，并测量其效果。

        全部内容在 CPU 上不到一分钟即可运行完毕。可复用的部分放在 `course_lib.models.gan` 中，第 5 章会再次用它在 MNIST 上训练卷积 GAN。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            "write the value $V(D, G)$ of the game, and tell the discriminator's loss (binary cross-entropy) from the generator's, saturating and non-saturating;",
            r"derive the optimal discriminator $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))$ and compare it with a trained network;",
            r"derive $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)$ and check it by numerical integration;",
            "explain from the gradient why practice uses the non-saturating generator loss;",
            "run the training algorithm on a ring of Gaussians, measure mode collapse over seeds with intervals, and judge a remedy by the same measurement.",
        ],
        zh=[
            "写出博弈的价值函数 $V(D, G)$，分清判别器的损失（二元交叉熵）与生成器的损失（饱和与非饱和）；",
            r"推导最优判别器 $D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))$，并与训练出的网络对照；",
            r"推导 $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g)$，并用数值积分验证；",
            "从梯度出发解释为什么实践中使用非饱和的生成器损失；",
            "在圆环上的高斯混合上运行训练算法，基于多个种子、带置信区间地测量模式坍塌，并用同样的测量评判一种补救方法。",
        ],
        chapters=(0, 1),
        maths_en="expectations and densities, the logarithm and the sigmoid and their derivatives, KL divergence (met here), gradient descent.",
        maths_zh="期望与概率密度，对数函数、sigmoid 函数及其导数，KL 散度（本章会介绍），梯度下降。",
    ),
    code(
        """
        import math

        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        import torch.nn.functional as F

        import course_lib
        from course_lib.notebook import pad
        from course_lib.models.gan import (
            MLPDiscriminator, MLPGenerator, discriminator_loss, energy_distance, fit_discriminator,
            generator_loss, mode_coverage, ring_centers, ring_of_gaussians, train_gan,
        )
        from course_lib.plotting import slider_figure

        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        # en: The networks of this chapter are tiny: one CPU thread runs them faster than several
        # en: (and gives the same numbers on every machine load).
        # zh: 本章的网络都很小：单个 CPU 线程跑得比多线程更快（而且机器忙闲不影响结果）。
        torch.set_num_threads(1)
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    # ---------------------------------------------------------------------------------------- the showcase model
    md(
        en=r"""
        ## Where this chapter is going

        Before the mathematics, what it is for. The digits below were drawn by a GAN on real images: chapter 5's
        convolutional GAN (DCGAN), made twice as wide and given a deeper generator, after one command trained it
        on all 60,000 training digits of full MNIST. The checkpoint ships with the book, so the cell runs on every
        machine, and its model card records the command, the time and the machine. Nothing in it goes beyond this
        chapter: a generator and a discriminator playing the game of section 1, the generator's non-saturating
        loss of section 4, a discriminator that judges two samples at once against the mode collapse of
        section 6, and samples drawn from an average of the generator's weights over training.

        The right panel is the run's own record: after every epoch it drew 1,000 samples and asked chapter 5's
        classifier about them. The solid line is the share of samples the classifier assigns to one digit with a
        probability of at least 0.9 (the real digits reach the dash-dotted line); the dashed line, KL(classes ‖ uniform), says how unevenly the ten digits are
        drawn, since a GAN that draws one digit well has collapsed. The table judges the finished model over
        several seeds against the bar the book sets for its showcase GANs and diffusion models. This one, trained on a single CPU
        thread, stops short of it, and the curve shows why more of the same would take long: after a quick start
        the share creeps up by a little each epoch, less than the noise between one epoch and the next. GANs are the hardest of
        the book's image models to train on a small budget, and this chapter explains what makes their game
        delicate. The VAE of chapter 3 and the diffusion model of chapter 7 open their chapters the same way.
        """,
        zh=r"""
        ## 本章要走到哪里

        讲数学之前，先看它的用处。下面这些数字出自一个在真实图像上训练的 GAN：第 5 章的卷积 GAN（DCGAN），加宽一倍、生成器加深，
        用一条命令在完整 MNIST 的全部 60,000 张训练数字上训练而成。检查点随书附带，所以这个单元格在每台机器上都能运行；
        它的模型卡记下了训练命令、时间和机器。其中没有一样超出本章的范围：生成器和判别器进行第 1 节的博弈，生成器用第 4 节的非饱和损失，
        判别器一次评判两个样本，用来对付第 6 节的模式坍塌；采样时用的是生成器权重在训练过程中的平均。

        右图是这次训练自己留下的记录：每训练完一轮，就抽 1,000 个样本交给第 5 章的分类器评判。实线是分类器以至少 0.9 的概率判为某一个数字的样本所占的比例（真实数字的占比是那条点划线）；
        虚线是类别分布到均匀分布的 KL 散度，衡量十个数字画得有多不均衡——只会把一个数字画好的 GAN 已经坍塌了。
        下表用几个种子评判训练完成的模型，标准与本书给展示用 GAN 和扩散模型定的相同。这个模型只在单个 CPU 线程上训练，没有达标；
        曲线也说明了为什么照原样多训练也要很久：起步很快，之后可辨认占比每一轮只涨一点点，还不及相邻两轮之间的噪声大。
        在本书的几种图像模型里，GAN 最难用小预算训练好；本章要讲的，正是它的博弈为什么这样微妙。第 3 章的 VAE 和第 7 章的扩散模型也以同样的方式开篇。
        """,
    ),
    code(
        """
        from course_lib.checkpoint import shipped_checkpoint
        from course_lib.evaluator import class_coverage, load_classifier, showcase_bar
        from course_lib.models.dcgan import load_dcgan
        from course_lib import load_offline_mnist, show_images
        from course_lib.notebook import recognisable_table, showcase_header
        from course_lib.seed import make_generator

        showcase, showcase_card = load_dcgan(shipped_checkpoint("dcgan_full_deep"))
        print(showcase_header(showcase_card, T("en", "zh"), lead=T(f"{showcase_card['parameters']:,} parameters, z in {showcase.generator.z_dim} dimensions",
                                                                   f"{showcase_card['parameters']:,} 个参数，z 为 {showcase.generator.z_dim} 维")))
        bar = showcase_bar(showcase_card["kind"])
        classifier, _ = load_classifier()
        real = class_coverage(load_offline_mnist("heldout")[0], classifier)
        history = showcase_card["history"]
        epochs = [h["epoch"] for h in history]
        fig, (left, right) = plt.subplots(1, 2, figsize=(11.5, 3.2), layout="constrained", width_ratios=(1.35, 1))
        show_images(showcase.sample(40, generator=make_generator(0)), nrow=10, ax=left,
                    title=T("40 samples, z from N(0, I)", "40 个样本，z 取自 N(0, I)"))
        right.plot(epochs, [h["recognisable"] for h in history], "o-", ms=3, label=T("recognisable share", "可辨认占比"))
        right.plot(epochs, [h["kl_to_uniform"] for h in history], "s--", ms=3, label=T("KL(classes ‖ uniform)", "类别到均匀分布的 KL"))
        right.axhline(bar, color="0.4", lw=1, ls=":", label=T(f"the bar, {bar}", f"标准：{bar}"))
        right.axhline(real["recognisable"], color="0.4", lw=1, ls="-.", label=T("real digits' share", "真实数字的可辨认占比"))
        right.set(xlabel=T("epoch (60,000 digits each)", "轮（每轮 60,000 张数字）"), ylim=(0, 1), xticks=range(0, epochs[-1] + 1, 5),
                  title=T("after each epoch, 1,000 samples", "每轮之后，1,000 个样本"))
        right.legend(fontsize=8, loc="center right")
        plt.show()

        study = showcase_card["study"]["recognisable"]
        row = study["rows"][0]
        print(T(f"chapter 5's classifier, {row['draws']} seeds × {row['samples']:,} samples; 95% intervals",
                f"第 5 章的分类器，{row['draws']} 个种子 × {row['samples']:,} 个样本；95% 置信区间"))
        # en: the bar a showcase GAN must clear (course_lib.evaluator.SHOWCASE_BAR): recognisable >= 0.85 and all ten digits with KL <= 0.05, read off the intervals
        # zh: 展示用 GAN 要过的标准（course_lib.evaluator.SHOWCASE_BAR）：可辨认占比 >= 0.85，且十个数字齐全、KL <= 0.05，按区间来判
        table_text, ((rec, kl),) = recognisable_table([(T("the showcase DCGAN", "展示用 DCGAN"), row)], real, bar=bar, lang=T("en", "zh"))
        print(table_text)
        first, halfway, last = history[0], history[len(history) // 2 - 1], history[-1]
        points = [T(f"epoch {h['epoch']}: {h['recognisable']:.3f}", f"第 {h['epoch']} 轮后 {h['recognisable']:.3f}") for h in (first, halfway, last)]
        print(T("the curve, recognisable share after ", "曲线上的可辨认占比：") + T(", ", "、").join(points))
        print(T("verdict: the share ", "结论：可辨认占比") + (T("clears the bar", "达标") if rec.low >= bar else
                                                           T(f"stays below the bar of {bar} (the interval ends at {rec.high:.3f})", f"低于标准 {bar}（区间上端为 {rec.high:.3f}）") if rec.high < bar else
                                                           T(f"cannot be told from the bar of {bar}", f"与标准 {bar} 分不出高下")))
        """
    ),
    # ------------------------------------------------------------------------------------------------ the game
    md(
        en=r"""
        ## 1 · The game and its two losses

        Goodfellow et al. define the value of the game as

        $$
        V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big]
                + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big],
        \qquad
        \min_G \max_D V(D, G).
        $$

        The discriminator **maximises** $V$: it wants $D(x)$ near 1 on real data and $D(G(z))$ near 0 on fakes.
        Written as a loss to minimise, that is the **binary cross-entropy** of a classifier that labels real
        samples 1 and generated samples 0:

        $$
        \mathcal{L}_D = -\Big[\,\mathbb{E}\log D(x) + \mathbb{E}\log\big(1 - D(G(z))\big)\Big] = -V(D, G).
        $$

        This is **only the discriminator's side**. A common mistake is to call $\mathcal{L}_D$ "the GAN loss"
        and to think both networks minimise it. The generator can only affect the second term, and it has its
        own loss:

        * **saturating** (the game as written): $G$ minimises $\;\mathcal{L}_G^\text{sat} = \mathbb{E}\log\big(1 - D(G(z))\big)$;
        * **non-saturating** (what practice uses, already proposed in the original paper):
          $G$ minimises $\;\mathcal{L}_G^\text{ns} = -\mathbb{E}\log D(G(z))$.

        Both push $D(G(z))$ up; section 4 shows why the second one learns much better. Networks output a
        **logit** $\ell$ and $D = \sigma(\ell) = 1/(1 + e^{-\ell})$; the losses are computed from logits
        (`F.binary_cross_entropy_with_logits`), which stays exact where $D$ is within $10^{-8}$ of 0 or 1. The
        cell below checks `course_lib.models.gan`'s three losses against the formulas on four real and four fake
        samples whose $D$ values we choose by hand.
        """,
        zh=r"""
        ## 1 · 博弈与两个损失

        Goodfellow 等人把博弈的价值函数定义为

        $$
        V(D, G) = \mathbb{E}_{x \sim p_\text{data}}\big[\log D(x)\big]
                + \mathbb{E}_{z \sim p_z}\big[\log\big(1 - D(G(z))\big)\big],
        \qquad
        \min_G \max_D V(D, G).
        $$

        判别器要**最大化** $V$：它希望真实数据上的 $D(x)$ 接近 1，生成样本上的 $D(G(z))$ 接近 0。
        写成要最小化的损失，这正是一个把真实样本标为 1、生成样本标为 0 的分类器的**二元交叉熵**：

        $$
        \mathcal{L}_D = -\Big[\,\mathbb{E}\log D(x) + \mathbb{E}\log\big(1 - D(G(z))\big)\Big] = -V(D, G).
        $$

        这**只是判别器一方**的损失。常见的错误是把 $\mathcal{L}_D$ 称为“GAN 的损失”，以为两个网络都在最小化它。
        生成器只能影响第二项，它有自己的损失：

        * **饱和**损失（即博弈本来的写法）：$G$ 最小化 $\;\mathcal{L}_G^\text{sat} = \mathbb{E}\log\big(1 - D(G(z))\big)$；
        * **非饱和**损失（实践中的做法，原论文中就已提出）：$G$ 最小化 $\;\mathcal{L}_G^\text{ns} = -\mathbb{E}\log D(G(z))$。

        两者都让 $D(G(z))$ 变大；第 4 节会说明为什么后者学得好得多。网络输出的是 **logit** $\ell$，
        $D = \sigma(\ell) = 1/(1 + e^{-\ell})$；损失直接由 logit 计算（`F.binary_cross_entropy_with_logits`），
        即使 $D$ 离 0 或 1 只差 $10^{-8}$ 也依然精确。下面的单元格取四个真实样本和四个生成样本，手动指定它们的 $D$ 值，
        把 `course_lib.models.gan` 的三个损失与公式逐一核对。
        """,
    ),
    code(
        """
        d_real = torch.tensor([0.9, 0.7, 0.6, 0.95], dtype=torch.float64)   # D(x)
        d_fake = torch.tensor([0.2, 0.1, 0.4, 0.05], dtype=torch.float64)   # D(G(z))
        logit = lambda p: torch.log(p) - torch.log1p(-p)                   # sigma^{-1}

        V = float(d_real.log().mean() + (1 - d_fake).log().mean())
        rows = [
            (T("V(D, G), by the formula", "V(D, G)，按公式"), V),
            (T("discriminator_loss (BCE)", "discriminator_loss（交叉熵）"), discriminator_loss(logit(d_real), logit(d_fake))),
            (T("mean log(1 - D(G(z))), by hand", "mean log(1 - D(G(z)))，手算"), (1 - d_fake).log().mean()),
            (T("generator_loss(saturating)", "generator_loss(saturating)"), generator_loss(logit(d_fake), "saturating")),
            (T("mean -log D(G(z)), by hand", "mean -log D(G(z))，手算"), -d_fake.log().mean()),
            (T("generator_loss(non_saturating)", "generator_loss(non_saturating)"), generator_loss(logit(d_fake), "non_saturating")),
        ]
        for name, value in rows:
            print(f"{pad(name, 34, '<')} {float(value):+.6f}")
        """
    ),
    md(
        en=r"""
        The discriminator's loss is exactly $-V$, and the two generator losses are the hand-computed averages.
        Note the signs: the saturating loss is negative (a mean of logarithms of numbers below 1) and the
        generator pushes it further down towards $-\infty$; the non-saturating loss is positive and the
        generator pushes it down towards 0.

        ## 2 · The optimal discriminator

        Fix the generator. Because $G(z)$ with $z \sim p_z$ *is* a sample from $p_g$, the second expectation can
        be written over $x$ (the "law of the unconscious statistician"), and

        $$
        V(D, G) = \int \Big[\, p_\text{data}(x)\log D(x) + p_g(x)\log\big(1 - D(x)\big) \Big]\,dx .
        $$

        The discriminator chooses the value $D(x)$ separately at every $x$, so we can maximise the integrand
        point by point. For $a, b > 0$ the function $f(y) = a\log y + b\log(1-y)$ on $(0, 1)$ has
        $f'(y) = a/y - b/(1-y)$, which is zero at $y = a/(a+b)$, and $f''(y) = -a/y^2 - b/(1-y)^2 < 0$, so that
        point is the maximum. With $a = p_\text{data}(x)$ and $b = p_g(x)$:

        $$
        \boxed{\,D^*_G(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}\,}
        $$

        (Where both densities are zero, $D$ does not matter.) First the one-variable fact, by brute force on a
        grid of 99,999 values of $y$:
        """,
        zh=r"""
        判别器的损失恰好等于 $-V$，两个生成器损失也与手算的平均值一致。注意符号：饱和损失是负数（小于 1 的数取对数再平均），
        生成器把它往 $-\infty$ 方向压；非饱和损失是正数，生成器把它往 0 的方向压。

        ## 2 · 最优判别器

        先固定生成器。由于 $z \sim p_z$ 时 $G(z)$ *正是* 来自 $p_g$ 的样本，第二个期望可以改写为对 $x$ 的期望
        （即“无意识统计学家定律”），于是

        $$
        V(D, G) = \int \Big[\, p_\text{data}(x)\log D(x) + p_g(x)\log\big(1 - D(x)\big) \Big]\,dx .
        $$

        判别器在每个 $x$ 处可以独立地选择 $D(x)$ 的值，因此可以逐点最大化被积函数。对 $a, b > 0$，
        函数 $f(y) = a\log y + b\log(1-y)$（$y \in (0,1)$）的导数 $f'(y) = a/y - b/(1-y)$ 在 $y = a/(a+b)$ 处为零，
        且 $f''(y) = -a/y^2 - b/(1-y)^2 < 0$，所以该点是最大值点。令 $a = p_\text{data}(x)$、$b = p_g(x)$，得到

        $$
        \boxed{\,D^*_G(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)}\,}
        $$

        （两个密度都为零的地方，$D$ 取什么值都无关紧要。）先用暴力搜索验证这个一元函数的结论：在 99,999 个 $y$ 值构成的网格上求最大值点。
        """,
    ),
    code(
        """
        y = np.linspace(1e-5, 1 - 1e-5, 99_999)
        for a, b in [(0.3, 0.3), (1.2, 0.4), (0.05, 0.8), (2.0, 0.01)]:
            f = a * np.log(y) + b * np.log(1 - y)
            print(f"a = {a:<4}  b = {b:<4}  " + T("argmax on the grid", "网格上的最大值点") + f" = {y[f.argmax()]:.4f}   a/(a+b) = {a / (a + b):.4f}")
        """
    ),
    md(
        en=r"""
        Now the real test: does a **trained** discriminator find $D^*$? Take two known one-dimensional densities,

        $$
        p_\text{data} = \tfrac12\,\mathcal{N}(-1.5,\, 0.5^2) + \tfrac12\,\mathcal{N}(1,\, 0.6^2), \qquad
        p_g = \mathcal{N}(0,\, 1.5^2),
        $$

        draw 20,000 samples from each, and train a small network (`MLPDiscriminator`, two hidden layers of 64
        units) with the discriminator loss alone, the "generator" being frozen: this is the inner $\max_D$ of
        the game. `fit_discriminator` does it with Adam on minibatches of 512.
        """,
        zh=r"""
        接下来是真正的检验：**训练出来的**判别器能找到 $D^*$ 吗？取两个已知的一维密度

        $$
        p_\text{data} = \tfrac12\,\mathcal{N}(-1.5,\, 0.5^2) + \tfrac12\,\mathcal{N}(1,\, 0.6^2), \qquad
        p_g = \mathcal{N}(0,\, 1.5^2),
        $$

        各抽取 20,000 个样本，只用判别器损失训练一个小网络（`MLPDiscriminator`，两个 64 单元的隐藏层），“生成器”保持不动：
        这正是博弈中内层的 $\max_D$。`fit_discriminator` 用 Adam 在大小为 512 的小批量上完成训练。
        """,
    ),
    code(
        """
        def normal_pdf(x, mu, s):
            return np.exp(-0.5 * ((x - mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))

        def p_data_1d(x):
            return 0.5 * normal_pdf(x, -1.5, 0.5) + 0.5 * normal_pdf(x, 1.0, 0.6)

        def p_g_1d(x):
            return normal_pdf(x, 0.0, 1.5)

        def sample_1d(n, gen):
            '''n samples from p_data_1d and n from p_g_1d, each of shape (n, 1), in float64.'''
            # en: float64 draws: PyTorch's float32 normal sampler uses vector code that other CPUs round differently
            # zh: 用 float64 抽样：PyTorch 的 float32 正态采样器用向量化代码，换一种 CPU 舍入就会不同
            pick = torch.rand(n, generator=gen, dtype=torch.float64) < 0.5
            real = torch.where(pick, -1.5 + 0.5 * torch.randn(n, generator=gen, dtype=torch.float64),
                               1.0 + 0.6 * torch.randn(n, generator=gen, dtype=torch.float64))
            fake = 1.5 * torch.randn(n, generator=gen, dtype=torch.float64)
            return real.unsqueeze(1), fake.unsqueeze(1)

        real_1d, fake_1d = sample_1d(20_000, torch.Generator().manual_seed(0))
        torch.manual_seed(0)
        # en: in float64: a small network, and its printed errors are then the same on every CPU
        # zh: 用 float64：网络很小，这样打印出的误差在任何 CPU 上都相同
        disc_1d = MLPDiscriminator(in_dim=1, hidden=64, layers=2).double()
        losses_1d = fit_discriminator(disc_1d, real_1d, fake_1d, steps=1500, batch_size=512, lr=2e-3, seed=0)

        xs = np.linspace(-4, 4, 801)
        with torch.no_grad():
            d_net = torch.sigmoid(disc_1d(torch.tensor(xs, dtype=torch.float64).unsqueeze(1))).numpy()
        d_star = p_data_1d(xs) / (p_data_1d(xs) + p_g_1d(xs))
        # en: where there are samples to learn from
        # zh: 只看有样本可学的区域
        where = (p_data_1d(xs) + p_g_1d(xs)) / 2 > 0.02
        err = np.abs(d_net - d_star)
        print(T("final discriminator loss (mean of the last 100 steps):", "判别器最终损失（最后 100 步的平均）："), round(float(np.mean(losses_1d[-100:])), 3))
        print(T("max |D_net - D*| where (p_data + p_g)/2 > 0.02:", "在 (p_data + p_g)/2 > 0.02 的区域内 max |D_net - D*|："), round(float(err[where].max()), 3))
        print(T("mean |D_net - D*| over the same region:", "同一区域内 |D_net - D*| 的平均值："), round(float(err[where].mean()), 3))

        fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(6.4, 5.0), sharex=True)
        ax0.plot(xs, p_data_1d(xs), label=r"$p_\\mathrm{data}$")
        ax0.plot(xs, p_g_1d(xs), label=r"$p_g$")
        ax0.set_ylabel(T("density", "密度"))
        ax0.legend(loc="upper right")
        ax0.set_title(T("Two known densities and the discriminator between them", "两个已知密度及其间的判别器"))
        ax1.plot(xs, d_star, "k--", lw=2, label=r"$D^*=p_\\mathrm{data}/(p_\\mathrm{data}+p_g)$")
        ax1.plot(xs, d_net, color="C3", label=T("trained discriminator", "训练出的判别器"))
        ax1.fill_between(xs, 0, 1, where=~where, color="0.9", label=T("few samples", "样本稀少"))
        ax1.set_xlabel("x")
        ax1.set_ylabel("D(x)")
        ax1.set_ylim(0, 1)
        ax1.legend(loc="lower left", fontsize=8)
        plt.show()
        """
    ),
    md(
        en=r"""
        The trained network lies on the formula: the cell above prints how far apart they are where the
        densities have mass. In the grey tails there are hardly any samples, so nothing pins the network down
        there, and it is free to differ — the formula is a statement about the optimum of an integral, and a
        network can only learn it where data tells it something.

        ## 3 · What the generator minimises: $C(G) = -\log 4 + 2\,\mathrm{JSD}$

        Put $D^*$ back into $V$. The generator, facing a perfect discriminator, is left with

        $$
        C(G) = \max_D V(D, G)
             = \mathbb{E}_{p_\text{data}}\!\left[\log\frac{p_\text{data}}{p_\text{data} + p_g}\right]
             + \mathbb{E}_{p_g}\!\left[\log\frac{p_g}{p_\text{data} + p_g}\right].
        $$

        Write $m = \tfrac12(p_\text{data} + p_g)$, the half-and-half mixture. Since
        $\frac{p_\text{data}}{p_\text{data} + p_g} = \frac12 \cdot \frac{p_\text{data}}{m}$, each expectation is a
        Kullback–Leibler divergence minus $\log 2$:

        $$
        C(G) = -\log 4 + \mathrm{KL}(p_\text{data} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m)
             = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g),
        $$

        where $\mathrm{JSD}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)$ is the
        Jensen–Shannon divergence. It is $\ge 0$, and $0$ only when $p_g = p_\text{data}$, so the
        **global minimum of $C(G)$ is $-\log 4$, reached exactly when the generator reproduces the data**
        (Theorem 1 of Goodfellow et al.). At that point $D^* = \tfrac12$ everywhere. The JSD is also at most
        $\log 2$ (reached when the two supports do not overlap), so $C(G) \le 0$.

        The check below computes, for several pairs of densities on a fine grid (300,001 points on
        $[-15, 15]$, trapezoid rule), the left side $C(G) = \int p_\text{data}\log D^* + p_g\log(1-D^*)$ and, separately,
        the right side from the definition of the JSD.
        """,
        zh=r"""
        训练出的网络与公式几乎重合：上面的单元格打印了在密度不可忽略的区域里两者相差多少。灰色的尾部几乎没有样本，
        没有什么能约束网络在那里的取值，所以它可以偏离公式——公式讲的是一个积分的最优解，而网络只能在数据提供信息的地方学到它。

        ## 3 · 生成器最小化的是什么：$C(G) = -\log 4 + 2\,\mathrm{JSD}$

        把 $D^*$ 代回 $V$。面对完美的判别器，生成器剩下的目标是

        $$
        C(G) = \max_D V(D, G)
             = \mathbb{E}_{p_\text{data}}\!\left[\log\frac{p_\text{data}}{p_\text{data} + p_g}\right]
             + \mathbb{E}_{p_g}\!\left[\log\frac{p_g}{p_\text{data} + p_g}\right].
        $$

        记 $m = \tfrac12(p_\text{data} + p_g)$，即两者各占一半的混合分布。由于
        $\frac{p_\text{data}}{p_\text{data} + p_g} = \frac12 \cdot \frac{p_\text{data}}{m}$，每个期望都等于一个 KL 散度减去 $\log 2$：

        $$
        C(G) = -\log 4 + \mathrm{KL}(p_\text{data} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m)
             = -\log 4 + 2\,\mathrm{JSD}(p_\text{data} \,\|\, p_g),
        $$

        其中 $\mathrm{JSD}(p\,\|\,q) = \tfrac12\mathrm{KL}(p\,\|\,m) + \tfrac12\mathrm{KL}(q\,\|\,m)$ 是 JS（Jensen–Shannon）散度。
        它总是 $\ge 0$，并且只在 $p_g = p_\text{data}$ 时等于 0，所以 **$C(G)$ 的全局最小值是 $-\log 4$，当且仅当生成器复现了数据分布时取到**
        （Goodfellow 等人的定理 1）。此时处处有 $D^* = \tfrac12$。JSD 最大为 $\log 2$（两个分布的支撑集不重叠时取到），因此 $C(G) \le 0$。

        下面的检验对几组密度，在细密的网格上（$[-15, 15]$ 上 300,001 个点，梯形公式）分别计算左边
        $C(G) = \int p_\text{data}\log D^* + p_g\log(1-D^*)$，以及按 JSD 的定义独立计算的右边。
        """,
    ),
    code(
        """
        grid = np.linspace(-15, 15, 300_001)

        def plogq(p, q):
            '''p * log(q) with the convention 0 * log(anything) = 0.'''
            out = np.zeros_like(p)
            np.log(q, out=out, where=(p > 0) & (q > 0))
            return p * out

        def C_of_G(p, q):
            s = p + q
            d_star = np.divide(p, s, out=np.full_like(p, 0.5), where=s > 0)          # D*
            # en: 1 - D*, without cancellation
            # zh: 直接算 1 - D*，避免相减损失精度
            one_minus = np.divide(q, s, out=np.full_like(p, 0.5), where=s > 0)
            return np.trapezoid(plogq(p, d_star) + plogq(q, one_minus), grid)

        def kl(p, q):
            return np.trapezoid(plogq(p, p) - plogq(p, q), grid)

        def jsd(p, q):
            m = (p + q) / 2
            return 0.5 * kl(p, m) + 0.5 * kl(q, m)

        p0 = normal_pdf(grid, 0.0, 1.0)
        pairs = [
            (T("p_g = p_data = N(0, 1)", "p_g = p_data = N(0, 1)"), p0, normal_pdf(grid, 0.0, 1.0)),
            (T("N(0, 1) vs N(0.5, 1)", "N(0, 1) 与 N(0.5, 1)"), p0, normal_pdf(grid, 0.5, 1.0)),
            (T("N(0, 1) vs N(0, 2^2)", "N(0, 1) 与 N(0, 2^2)"), p0, normal_pdf(grid, 0.0, 2.0)),
            (T("N(0, 1) vs N(3, 1)", "N(0, 1) 与 N(3, 1)"), p0, normal_pdf(grid, 3.0, 1.0)),
            (T("section 2's pair", "第 2 节的那一对"), p_data_1d(grid), p_g_1d(grid)),
            (T("N(0, 1) vs N(12, 1), hardly overlapping", "N(0, 1) 与 N(12, 1)，几乎不重叠"), p0, normal_pdf(grid, 12.0, 1.0)),
        ]
        print(f"{pad(T('pair', '密度对'), 40, '<')}{'C(G)':>10}{'-log4+2JSD':>12}{pad(T('difference', '差'), 11)}{'JSD/log2':>10}")
        for name, p, q in pairs:
            c, j = C_of_G(p, q), jsd(p, q)
            d = c - (-math.log(4) + 2 * j)
            # en: a difference at rounding level (its digits differ from CPU to CPU) is printed as the bound it meets
            # zh: 舍入误差量级的差（其数字因 CPU 而异）只打印它满足的上界
            print(f"{pad(name, 40, '<')}{c:>10.5f}{-math.log(4) + 2 * j:>12.5f}{('< 1e-12' if abs(d) < 1e-12 else f'{d:.1e}'):>11}{j / math.log(2):>10.4f}")
        print("-log 4 =", round(-math.log(4), 5))
        """
    ),
    md(
        en=r"""
        The two columns agree to the precision of the integration, the first row is $-\log 4$ (the generator has
        won), and $\mathrm{JSD}/\log 2$ climbs from 0 to nearly 1 as the densities separate — where $C(G)$
        approaches 0. That last row hides a practical problem: once the supports hardly overlap, moving $p_g$ a
        little changes $C(G)$ almost not at all, so the generator gets almost no signal. This is one of the
        motivations for the Wasserstein GAN {cite:p}`arjovsky2017wgan` (see the exercises).

        A second check closes the loop with section 2. For *any* discriminator, $V(D, G) \le C(G)$, with
        equality at $D^*$. So the value of the trained network of section 2, estimated by Monte Carlo on
        200,000 fresh samples, must come out just below the integral for that pair:
        """,
        zh=r"""
        两列在积分精度内完全一致；第一行恰好是 $-\log 4$（生成器赢了）；随着两个密度分开，$\mathrm{JSD}/\log 2$ 从 0 一路升到接近 1，
        同时 $C(G)$ 趋近于 0。最后一行暗藏一个实际问题：一旦两者的支撑集几乎不重叠，稍微移动 $p_g$ 几乎不会改变 $C(G)$，
        生成器几乎得不到任何信号。这正是 Wasserstein GAN {cite:p}`zh-arjovsky2017wgan` 的动机之一（见练习）。

        第二个检验把这一节与第 2 节连起来。对*任意*判别器都有 $V(D, G) \le C(G)$，且在 $D^*$ 处取等号。
        所以第 2 节训练出的网络的价值（在 200,000 个新样本上用蒙特卡洛估计）应当略低于这一对密度的积分值：
        """,
    ),
    code(
        """
        real_mc, fake_mc = sample_1d(200_000, torch.Generator().manual_seed(1))
        with torch.no_grad():
            v_net = -float(discriminator_loss(disc_1d(real_mc), disc_1d(fake_mc)))
        c_pair = C_of_G(p_data_1d(grid), p_g_1d(grid))
        print(T("V(D_trained, G), Monte Carlo:", "V(D_训练, G)，蒙特卡洛估计："), round(v_net, 4))
        print(T("C(G) = V(D*, G), integral:   ", "C(G) = V(D*, G)，积分：      "), round(c_pair, 4))
        print(T("gap C(G) - V(D_trained, G):  ", "差值 C(G) - V(D_训练, G)：   "), round(c_pair - v_net, 4))
        """
    ),
    # ------------------------------------------------------------------------------------------------ gradients
    md(
        en=r"""
        The gap is small and positive (up to the Monte Carlo error of a few thousandths): the trained
        discriminator has nearly reached the maximum over all discriminators.

        ## 4 · Saturating vs non-saturating: the gradient when $D$ rejects the fakes

        Early in training the generator is bad, the discriminator spots it easily, and $D(G(z)) \approx 0$.
        What gradient does each generator loss send back? With $D = \sigma(\ell)$ and
        $\sigma'(\ell) = \sigma(\ell)(1 - \sigma(\ell))$:

        $$
        \frac{\partial}{\partial \ell}\log\big(1 - \sigma(\ell)\big) = -\sigma(\ell) = -D(G(z)),
        \qquad
        \frac{\partial}{\partial \ell}\big(-\log \sigma(\ell)\big) = -\big(1 - \sigma(\ell)\big) = -\big(1 - D(G(z))\big).
        $$

        By the chain rule the gradient with respect to the generator's weights is this factor times
        $\partial \ell / \partial \theta_G$. For the saturating loss the factor *is* $D(G(z))$: it vanishes exactly
        when the generator is worst and most needs to learn. For the non-saturating loss it is close to $-1$
        there. Both losses have the same stationary points in the game's analysis and push $D(G(z))$ the same
        way; they differ in how hard they push. The figure computes losses and gradients with autograd through
        `generator_loss`:
        """,
        zh=r"""
        差值很小且为正（在千分之几的蒙特卡洛误差范围内）：训练出的判别器几乎达到了所有判别器中的最大值。

        ## 4 · 饱和与非饱和：当 $D$ 识破赝品时的梯度

        训练初期生成器很差，判别器轻易识破它，于是 $D(G(z)) \approx 0$。此时两种生成器损失各自回传什么样的梯度？
        记 $D = \sigma(\ell)$，利用 $\sigma'(\ell) = \sigma(\ell)(1 - \sigma(\ell))$：

        $$
        \frac{\partial}{\partial \ell}\log\big(1 - \sigma(\ell)\big) = -\sigma(\ell) = -D(G(z)),
        \qquad
        \frac{\partial}{\partial \ell}\big(-\log \sigma(\ell)\big) = -\big(1 - \sigma(\ell)\big) = -\big(1 - D(G(z))\big).
        $$

        由链式法则，对生成器权重的梯度等于这个因子乘以 $\partial \ell / \partial \theta_G$。饱和损失的因子*就是* $D(G(z))$：
        恰恰在生成器最差、最需要学习的时候，它趋于零。非饱和损失的因子在那里接近 $-1$。
        在对这场博弈的分析中，两种损失的驻点相同，推动 $D(G(z))$ 的方向也相同，只是力度不同。下图通过 `generator_loss` 用自动求导计算损失和梯度：
        """,
    ),
    code(
        """
        d_vals = torch.logspace(-4, math.log10(0.999), 300, dtype=torch.float64)
        logits = logit(d_vals).requires_grad_(True)
        curves = {}
        for kind in ("saturating", "non_saturating"):
            per_sample = torch.stack([generator_loss(l.view(1), kind) for l in logits])
            (grad,) = torch.autograd.grad(per_sample.sum(), logits)
            curves[kind] = (per_sample.detach().numpy(), grad.numpy())

        err_sat = np.abs(curves["saturating"][1] - (-d_vals.numpy())).max()
        err_ns = np.abs(curves["non_saturating"][1] - (-(1 - d_vals.numpy()))).max()
        print(T("max |autograd - (-D)|       (saturating)     < 1e-12:", "max |自动求导 - (-D)|        （饱和）   < 1e-12："), bool(err_sat < 1e-12))
        print(T("max |autograd - (-(1 - D))| (non-saturating) < 1e-12:", "max |自动求导 - (-(1 - D))|  （非饱和） < 1e-12："), bool(err_ns < 1e-12))
        i = int(np.argmin(np.abs(d_vals.numpy() - 1e-3)))
        print(T("at D(G(z)) = 0.001, |gradient| saturating / non-saturating:", "在 D(G(z)) = 0.001 处，|梯度| 饱和 / 非饱和："),
              f"{abs(curves['saturating'][1][i]):.4f} / {abs(curves['non_saturating'][1][i]):.4f}")

        labels = {"saturating": T("saturating  log(1 - D(G(z)))", "饱和  log(1 - D(G(z)))"),
                  "non_saturating": T("non-saturating  -log D(G(z))", "非饱和  -log D(G(z))")}
        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.6, 3.6))
        for kind, (loss, grad) in curves.items():
            ax0.plot(d_vals, loss, label=labels[kind])
            ax1.plot(d_vals, np.abs(grad), label=labels[kind])
        ax0.set_xscale("log")
        ax0.set_xlabel("D(G(z))")
        ax0.set_ylabel(T("generator loss (per sample)", "生成器损失（单个样本）"))
        ax0.set_title(T("The two generator losses", "两种生成器损失"))
        ax0.legend(fontsize=8)
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_xlabel("D(G(z))")
        ax1.set_ylabel(T("|d loss / d logit|", "|d 损失 / d logit|"))
        ax1.set_title(T("Gradient sent back to the generator", "回传给生成器的梯度"))
        ax1.axvspan(1e-4, 1e-2, color="0.9")
        ax1.text(1.2e-4, 2e-3, T("D rejects\\nthe fakes", "D 识破\\n赝品"), fontsize=9)
        ax1.legend(fontsize=8, loc="lower right")
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        The same effect on a real generator. Take a freshly initialised generator (which places its samples in
        a small blob near the origin), train a discriminator to tell its samples from the ring data that we use
        in the next section, and measure the size of the gradient each loss gives the generator's weights:
        """,
        zh=r"""
        在真实的生成器上也能看到同样的效果。取一个刚初始化的生成器（它把样本放在原点附近的一小团里），
        训练一个判别器把它的样本与下一节要用的圆环数据区分开，然后测量两种损失各自给生成器权重的梯度有多大：
        """,
    ),
    code(
        """
        RING_STD = 0.05
        ring = ring_of_gaussians(8192, modes=8, radius=2.0, std=RING_STD, generator=torch.Generator().manual_seed(1))

        torch.manual_seed(0)
        g_init = MLPGenerator(z_dim=2, hidden=128, layers=2)
        z_probe = torch.randn(2048, 2, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            fakes_init = g_init(z_probe)
        d_probe = MLPDiscriminator(hidden=128, layers=2)
        fit_discriminator(d_probe, ring, fakes_init, steps=300, batch_size=256, lr=2e-3, seed=0)
        for p in d_probe.parameters():
            p.requires_grad_(False)

        print(T("mean D(G(z)) of the untrained generator:", "未训练生成器的平均 D(G(z))："), f"{float(torch.sigmoid(d_probe(fakes_init)).mean()):.2e}")
        norms = {}
        for kind in ("saturating", "non_saturating"):
            g_init.zero_grad()
            generator_loss(d_probe(g_init(z_probe)), kind).backward()
            norms[kind] = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in g_init.parameters()))
            print(f"{pad(labels[kind], 32, '<')} " + T("gradient norm", "梯度范数") + f" = {norms[kind]:.3e}")
        print(T("ratio non-saturating / saturating:", "非饱和 / 饱和 之比："), f"{norms['non_saturating'] / norms['saturating']:.3g}")
        """
    ),
    md(
        en=r"""
        The cell prints the ratio: the saturating loss gives the generator a gradient that is orders of
        magnitude smaller, in exactly the situation every GAN starts in. This is why Goodfellow et al. already
        recommended training $G$ to maximise $\log D(G(z))$ instead, and why `course_lib.models.gan` (like every
        practical GAN) uses the non-saturating loss by default. The price is that $G$ and $D$ no longer play a
        zero-sum game, so the minimax analysis above describes the non-saturating GAN only approximately.

        ## 5 · The training algorithm, on eight Gaussians on a ring

        In practice neither player is optimal; they take turns taking gradient steps. Algorithm 1 of the GAN
        paper, with the non-saturating generator loss:

        > **repeat** for each training step:
        > 1. **for** $k$ steps: draw $m$ noise vectors $z_i$ and a minibatch of $m$ data points $x_i$; take a
        >    gradient step on the discriminator's loss
        >    $-\frac1m\sum_i\big[\log D(x_i) + \log\big(1 - D(G(z_i))\big)\big]$;
        > 2. draw $m$ noise vectors $z_i$; take a gradient step on the generator's loss
        >    $-\frac1m\sum_i \log D(G(z_i))$, with $D$ held fixed.

        `course_lib.models.gan.gan_train_step` is exactly one pass of this loop (with $k$ = `d_steps`, reusing one data
        minibatch for the $k$ discriminator steps; on a GPU under bf16 autocast), and `train_gan` repeats it
        with Adam, keeping the data on the device and drawing minibatches by index. It also records, every 250
        steps, the samples the generator makes from one fixed batch of 1,000 noise vectors, so that we can watch
        the *same* $z$'s move.

        The data: an equal mixture of 8 Gaussians with standard deviation 0.05, centred on a circle of radius 2
        — the standard test bed for mode collapse {cite:p}`metz2017unrolled`. To measure how close the
        generated samples are to the data we use the **energy distance**
        {cite:p}`szekely2013energy`

        $$
        \mathcal{E}(P, Q) = 2\,\mathbb{E}\|X - Y\| - \mathbb{E}\|X - X'\| - \mathbb{E}\|Y - Y'\|,
        \qquad X, X' \sim P,\; Y, Y' \sim Q \text{ independent},
        $$

        which is $\ge 0$ and zero only when $P = Q$. Before trusting it, check it: between two independent
        samples of the ring it should be near 0, and between the ring and a slightly rotated ring clearly not.
        """,
        zh=r"""
        单元格打印出了比值：在每个 GAN 训练开始时都会遇到的那种局面下，饱和损失给生成器的梯度要小好几个数量级。
        这就是为什么 Goodfellow 等人当初就建议改为训练 $G$ 去最大化 $\log D(G(z))$，也是为什么 `course_lib.models.gan`
        （和所有实用的 GAN 一样）默认使用非饱和损失。代价是 $G$ 与 $D$ 不再进行零和博弈，上面的极小极大分析对非饱和 GAN 只是近似成立。

        ## 5 · 训练算法：圆环上的八个高斯分布

        实践中两位玩家都达不到最优，而是轮流做梯度更新。GAN 论文的算法 1（生成器用非饱和损失）如下：

        > 对每个训练步**重复**：
        > 1. **做 $k$ 次**：抽取 $m$ 个噪声向量 $z_i$ 和 $m$ 个数据点组成的小批量 $x_i$；对判别器损失
        >    $-\frac1m\sum_i\big[\log D(x_i) + \log\big(1 - D(G(z_i))\big)\big]$ 做一步梯度下降；
        > 2. 抽取 $m$ 个噪声向量 $z_i$；固定 $D$，对生成器损失 $-\frac1m\sum_i \log D(G(z_i))$ 做一步梯度下降。

        `course_lib.models.gan.gan_train_step` 恰好执行这个循环的一轮（$k$ 即 `d_steps`，$k$ 次判别器更新共用同一个数据小批量；
        在 GPU 上使用 bf16 自动混合精度），`train_gan` 用 Adam 反复调用它，数据始终放在设备上、按下标抽取小批量。
        它还每隔 250 步记录一次生成器对同一批 1,000 个固定噪声向量生成的样本，这样我们能看到*同一组* $z$ 是怎样移动的。

        数据是 8 个标准差为 0.05 的高斯分布的等权混合，中心位于半径为 2 的圆上——这是研究模式坍塌的标准试验台
        {cite:p}`zh-metz2017unrolled`。为了衡量生成样本与数据有多接近，我们使用**能量距离** {cite:p}`zh-szekely2013energy`

        $$
        \mathcal{E}(P, Q) = 2\,\mathbb{E}\|X - Y\| - \mathbb{E}\|X - X'\| - \mathbb{E}\|Y - Y'\|,
        \qquad X, X' \sim P,\; Y, Y' \sim Q \text{ 相互独立},
        $$

        它总是 $\ge 0$，且只在 $P = Q$ 时为零。使用之前先验证它：两份独立的圆环样本之间，它应当接近 0；圆环与稍加旋转的圆环之间，它应当明显大于 0。
        """,
    ),
    code(
        """
        ring_ref = ring_of_gaussians(1000, std=RING_STD, generator=torch.Generator().manual_seed(7))
        # en: half the gap between two modes
        # zh: 两个模式间距的一半
        angle = math.pi / 8
        rot = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        print(T("energy distance, ring vs an independent ring sample:", "能量距离，圆环与另一份独立圆环样本："), round(energy_distance(ring[:1000], ring_ref), 4))
        print(T("energy distance, ring vs the ring rotated by pi/8:   ", "能量距离，圆环与旋转 pi/8 的圆环：    "), round(energy_distance(ring[:1000], ring_ref @ rot.T), 4))
        print(T("energy distance, ring vs all samples on one mode:    ", "能量距离，圆环与全部落在一个模式上的样本："), round(energy_distance(ring[:1000], ring_centers()[:1].repeat(1000, 1)), 4))
        """
    ),
    md(
        en=r"""
        Now train: generator and discriminator with two hidden layers of 128 units, two-dimensional noise,
        minibatches of 128, Adam with learning rate $10^{-3}$ for both players and $k = 1$, for 1,500 steps.

        One warning before the numbers. GAN training is **chaotic**: a difference in the last bit of one
        floating-point sum — another CPU adds in another order — grows over a thousand steps into a different
        final picture (we tried: the same seed gives 8 modes on one machine and 7 on another, even in float64).
        A single run is therefore an anecdote, and its digits are not a property of the code. So this section
        tells every experiment **over 20 seeds**: `python -m course_lib study ring` trained every run once
        (about 30 s a seed on one core) and stored its measurements with the package; the cell below loads
        them. `ring_study.gan_run(lr_g, lr_d, d_steps, seed)` trains one run live, and `COURSE_LIB_LIVE=1` reruns the whole study live with 3 seeds —
        your digits will differ, the conclusions below should not. The pictures show seed 0.
        """,
        zh=r"""
        现在开始训练：生成器和判别器都有两个 128 单元的隐藏层，噪声是二维的，批大小为 128，两位玩家都用学习率 $10^{-3}$ 的 Adam，
        $k = 1$，共训练 1,500 步。

        看数字之前先提个醒。GAN 的训练是**混沌**的：一次浮点求和的最后一位有差别——换一颗 CPU，加法的顺序就可能不同——
        经过上千步会放大成完全不同的最终结果（我们试过：同一个种子在一台机器上覆盖 8 个模式，在另一台上只有 7 个，用 float64 也一样）。
        因此单次训练只是一个个例，它给出的具体数字并不是代码本身的性质。所以本节的每个实验都**基于 20 个种子**来报告：
        `python -m course_lib study ring` 把每种训练各跑了一遍（单核每个种子约 30 秒），测量结果随软件包一起发布；下面的单元格读取它们。
        `ring_study.gan_run(lr_g, lr_d, d_steps, seed)` 可以当场训练一次，设置 `COURSE_LIB_LIVE=1` 则用 3 个种子当场重跑整个研究——你得到的数字会不同，但下面的结论不应改变。
        图中画的是种子 0。
        """,
    ),
    code(
        """
        import os

        from course_lib import ring_study
        from course_lib.stats import proportion_interval, seed_interval, verdict

        STEPS = ring_study.STEPS

        LIVE = os.environ.get("COURSE_LIB_LIVE") == "1"
        study = ring_study.run_ring_study(range(3)) if LIVE else ring_study.load_ring_study()
        n_seeds = len(study.seeds)
        print(T("seeds:", "种子数："), n_seeds, T("| made by:", "| 生成命令："), study.info.get("command", T("this notebook (live)", "本笔记本（当场运行）")))

        steps_a = study.steps
        ed_a = study.metrics["A"][0, :, ring_study.MEASURES.index("energy")]
        print(T("snapshot steps:", "快照步数："), steps_a)
        print(T("energy distance to the data, seed 0:", "与数据的能量距离，种子 0："), [round(float(e), 3) for e in ed_a])
        # en: over the seeds: the mean of the last 300 steps, with a 95% interval
        # zh: 在各个种子上：最后 300 步的平均值，附 95% 置信区间
        d_real, d_fake, loss_d = (seed_interval(study.tail["A"][:, j]) for j in range(3))
        print(T("last 300 steps, mean over seeds [95% interval]:", "最后 300 步，各种子的平均值 [95% 置信区间]："))
        print(f"  D(x) = {d_real.format(3)}   D(G(z)) = {d_fake.format(3)}   " + T("discriminator loss", "判别器损失") + f" = {loss_d.format(3)}   (log 4 = 1.386)")
        print(T("D(x) above 1/2 on average:", "D(x) 平均高于 1/2："), T("yes", "是") if d_real.low > 0.5 else T("not shown", "未能确认"),
              "|", T("loss below log 4:", "损失低于 log 4："), T("yes", "是") if loss_d.high < math.log(4) else T("not shown", "未能确认"))
        """
    ),
    code(
        """
        def draw_samples(ax, x, title):
            ax.scatter(ring[:1000, 0], ring[:1000, 1], s=2, color="0.75")
            ax.scatter(x[:, 0], x[:, 1], s=2, color="C3")
            ax.set_xlim(-3.5, 3.5)
            ax.set_ylim(-3.5, 3.5)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=9)

        fig, axes = plt.subplots(1, len(steps_a), figsize=(1.45 * len(steps_a), 1.9))
        for ax, s, x in zip(axes, steps_a, study.snapshots["A"]):
            draw_samples(ax, x, T(f"step {s}", f"第 {s} 步"))
        fig.suptitle(T("Generated samples (red) over the data (grey), same noise at every step", "生成样本（红）与数据（灰），每一步使用同一组噪声"), fontsize=10)
        plt.tight_layout()
        plt.show()

        fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9.6, 3.2))
        smooth = lambda v: np.convolve(v, np.ones(50) / 50, mode="valid")
        ax0.plot(smooth(study.trace["A"][0].numpy()), label="D(x)")
        ax0.plot(smooth(study.trace["A"][1].numpy()), label="D(G(z))")
        ax0.axhline(0.5, color="k", ls=":", lw=1)
        ax0.set_xlabel(T("training step", "训练步"))
        ax0.set_title(T("Discriminator outputs, seed 0 (moving average of 50)", "判别器输出，种子 0（50 步滑动平均）"))
        ax0.legend()
        ax1.plot(steps_a, ed_a, "o-")
        ax1.set_yscale("log")
        ax1.set_xlabel(T("training step", "训练步"))
        ax1.set_title(T("Energy distance to the data, seed 0", "与数据的能量距离，种子 0"))
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        In seed 0 the samples start as a small blob (the untrained generator), spread out towards the ring, and
        settle onto the modes; the energy distance falls by almost two orders of magnitude (printed above).
        Throughout, the discriminator's outputs stay close to $\tfrac12$ and its loss close to $\log 4$ — the
        values the theory predicts at the equilibrium, where $D$ can no longer tell real from generated. The cell
        above prints their averages over the last 300 steps, over all seeds, with 95% intervals, and says
        whether the intervals exclude the equilibrium values: near the equilibrium, though not at it — $D$ still
        tells the two apart slightly better than a coin.

        ## 6 · Mode collapse

        A generator can fool a discriminator without covering the data: if it places all its samples on one
        mode, each sample looks perfectly real. The theory of section 3 rules this out only at the *optimum*,
        where $D = D^*$ at every generator step. Take the other extreme: hold $D$ fixed and let $G$ minimise
        $-\mathbb{E}_{p_g}\log D(x)$ on its own. The best $p_g$ then puts **all** its mass at the point where
        $D$ is largest — a single point. Goodfellow et al. warn of exactly this ("the Helvetica scenario"): $G$
        must not be trained too much without updating $D$. In between, $G$ chases whatever region $D$
        currently likes, $D$ learns to reject it, and $G$ moves on: the samples cover few modes, or hop from
        mode to mode.

        To measure it we assign each generated sample to its nearest centre and call it **high quality** if it
        lies within $3\sigma$ of that centre. Then:

        * **modes covered**: modes holding at least a quarter of their fair share ($\tfrac14 \cdot \tfrac18$ of
          all samples) as high-quality samples;
        * **high-quality fraction**: the share of samples within $3\sigma$ of a centre;
        * **evenness**: $\mathrm{KL}(\hat p \,\|\, \text{uniform}) = \log 8 - H(\hat p)$, with $\hat p$ the
          share of the high-quality samples on each mode: 0 for perfectly even coverage, $\log 8 \approx 2.079$
          when everything sits on one mode (and, by convention in `mode_coverage`, when no sample is of high
          quality at all).

        The check on samples whose answer we know — the data itself, and a collapsed set:
        """,
        zh=r"""
        在种子 0 中，样本起初是一小团（未训练的生成器），随后向圆环铺开，最后落到各个模式上；能量距离下降了将近两个数量级（上面已打印）。
        在整个训练过程中，判别器的输出始终在 $\tfrac12$ 附近，它的损失也在 $\log 4$ 附近——这正是理论在均衡点预言的值：
        $D$ 再也分不清真假。上面的单元格打印了它们在最后 300 步、全部种子上的平均值及 95% 置信区间，并指出区间是否排除了均衡值：
        接近均衡，但并未达到——$D$ 区分两者的能力仍比抛硬币略强。

        ## 6 · 模式坍塌

        生成器不必覆盖整个数据分布也能骗过判别器：如果它把所有样本都放在一个模式上，每个样本看起来都完全真实。
        第 3 节的理论只有在*最优*处才排除了这种情况，那里每做一步生成器更新时都有 $D = D^*$。再看另一个极端：固定 $D$，
        让 $G$ 单独最小化 $-\mathbb{E}_{p_g}\log D(x)$。这时最好的 $p_g$ 会把**全部**质量放在 $D$ 最大的那个点上——只有一个点。
        Goodfellow 等人警告的正是这种情况（“Helvetica 情形”）：不能在不更新 $D$ 的情况下把 $G$ 训练得太多。介于两者之间时，
        $G$ 追逐 $D$ 当下青睐的区域，$D$ 学会拒绝它，$G$ 又转移到别处：样本只覆盖少数几个模式，或在模式之间来回跳跃。

        为了测量模式坍塌，把每个生成样本归到离它最近的中心；若它与该中心的距离在 $3\sigma$ 以内，就称它为**高质量**样本。然后定义：

        * **覆盖的模式数**：高质量样本数至少达到公平份额四分之一（即全部样本的 $\tfrac14 \cdot \tfrac18$）的模式个数；
        * **高质量比例**：落在某个中心 $3\sigma$ 以内的样本所占的比例；
        * **均匀程度**：$\mathrm{KL}(\hat p \,\|\, \text{均匀分布}) = \log 8 - H(\hat p)$，其中 $\hat p$ 是高质量样本在各模式上的占比：
          完全均匀时为 0，全部落在一个模式上时为 $\log 8 \approx 2.079$（`mode_coverage` 约定：一个高质量样本都没有时也取这个值）。

        先在答案已知的样本上检验这些指标——数据本身，以及一组坍塌的样本：
        """,
    ),
    code(
        """
        def coverage_row(name, x):
            c = mode_coverage(x, modes=8, radius=2.0, std=RING_STD)
            print(f"{pad(name, 34, '<')}{c.modes_covered:>6}{c.high_quality:>10.3f}{c.kl_to_uniform:>10.3f}{energy_distance(x, ring_ref):>10.3f}")
            return c

        header = f"{pad(T('samples', '样本'), 34, '<')}{pad(T('modes', '模式数'), 6)}{pad(T('quality', '高质量'), 10)}{'KL(p||U)':>10}{pad(T('energy', '能量距离'), 10)}"
        print(header)
        coverage_row(T("the data (1,000 samples)", "数据本身（1,000 个样本）"), ring[:1000])
        coverage_row(T("two modes, 750 + 250", "两个模式，750 + 250"), torch.cat([ring_centers()[0].repeat(750, 1), ring_centers()[5].repeat(250, 1)]))
        coverage_row(T("everything on one mode", "全部在一个模式上"), ring_centers()[2].repeat(1000, 1))
        p = np.array([0.75, 0.25])
        print(T("by hand for 750 + 250: log 8 - H =", "手算 750 + 250：log 8 - H ="), round(math.log(8) + float((p * np.log(p)).sum()), 3))
        """
    ),
    md(
        en=r"""
        Now provoke mode collapse. Keep everything as before, but let the generator outpace the discriminator:
        the generator's learning rate stays $10^{-3}$, the discriminator's drops to $2 \cdot 10^{-4}$. Then try
        a remedy that follows directly from the theory: the analysis assumed $D$ close to $D^*$ at every
        generator step, so give the slow discriminator **$k = 4$ steps per generator step** ($k$ of
        Algorithm 1), learning rates unchanged.
        """,
        zh=r"""
        现在人为诱发模式坍塌。其他一切照旧，只让生成器跑得比判别器快：生成器的学习率仍为 $10^{-3}$，判别器的学习率降到 $2 \cdot 10^{-4}$。
        然后尝试一种直接来自理论的补救方法：理论分析假定生成器每走一步时 $D$ 都接近 $D^*$，那么就给慢吞吞的判别器
        **每个生成器步配 $k = 4$ 个判别器步**（即算法 1 中的 $k$），学习率保持不变。
        """,
    ),
    code(
        """
        runs = {
            T("A: balanced (k=1)", "A：均衡（k=1）"): "A",
            T("B: G outpaces D (k=1)", "B：G 快于 D（k=1）"): "B",
            T("C: G outpaces D, k=4", "C：G 快于 D，k=4"): "C",
        }
        # en: the measurements of seed 0 at every snapshot, for the figures and the slider
        # zh: 种子 0 在每个快照的测量值，供下面的图和滑块使用
        M = {name: study.metrics[key][0] for name, key in runs.items()}
        MODES, KL = ring_study.MEASURES.index("modes"), ring_study.MEASURES.index("kl")

        print(T(f"at step {STEPS}, over {n_seeds} seeds (95% intervals):", f"第 {STEPS} 步，{n_seeds} 个种子（95% 置信区间）："))
        print(f"{pad(T('run', '训练'), 24, '<')}{pad(T('all 8 modes', '覆盖全部 8 个'), 18)}{pad(T('collapsed (< 4)', '坍塌（少于 4 个）'), 20)}{pad(T('quality', '高质量比例'), 22)}{'KL(p||U)':>22}")
        covered, collapsed = {}, {}
        for name, key in runs.items():
            k_all, k_col = int(study.all_modes(key).sum()), int(study.collapsed(key).sum())
            covered[key], collapsed[key] = proportion_interval(k_all, n_seeds), proportion_interval(k_col, n_seeds)
            q = seed_interval(study.final(key, "quality"), bounds=(0, 1))
            kl = seed_interval(study.final(key, "kl"), bounds=(0, math.log(8)))
            print(f"{pad(name, 24, '<')}{f'{k_all}/{n_seeds}':>18}{f'{k_col}/{n_seeds}':>20}{q.format(3):>22}{kl.format(2):>22}")

        def say(v, what):
            # en: a winner is named only where the two intervals separate
            # zh: 只有两个区间不重叠时才判出高下
            return v.winner + " " + what if v.decided else T("no difference at this budget", "在这个预算下看不出差别")

        print(T("collapse, B vs A:", "坍塌，B 对 A："), say(verdict(collapsed["B"], collapsed["A"], names=("B", "A"), higher_is_better=True), T("collapses more often", "坍塌得更频繁")))
        print(T("collapse, B vs C:", "坍塌，B 对 C："), say(verdict(collapsed["B"], collapsed["C"], names=("B", "C"), higher_is_better=True), T("collapses more often", "坍塌得更频繁")))
        print(T("all modes, C vs A:", "全部模式，C 对 A："), say(verdict(covered["C"], covered["A"], names=("C", "A"), higher_is_better=True), T("covers all modes more often", "更常覆盖全部模式")))
        """
    ),
    md(
        en=r"""
        Where do run B's samples go? For each snapshot, the centre of mass of its 1,000 samples (as an angle
        and a distance from the origin) and their spread (root-mean-square distance from that centre), next
        to the same spread for the data:
        """,
        zh=r"""
        训练 B 的样本去了哪里？对每个快照，计算 1,000 个样本的质心（用角度和到原点的距离表示）以及它们的离散程度
        （到质心的均方根距离），并与数据本身的离散程度对照：
        """,
    ),
    code(
        """
        def spread(x):
            return float((x - x.mean(0)).pow(2).sum(1).mean().sqrt())

        print(T("spread of the data:", "数据的离散程度："), round(spread(ring[:1000]), 3))
        print(f"{pad(T('step', '步'), 6)}{pad(T('angle (deg)', '角度（度）'), 14)}{pad(T('radius', '半径'), 9)}{pad(T('spread', '离散程度'), 10)}")
        for s, x in zip(study.steps, study.snapshots["B"]):
            cx, cy = x.mean(0).tolist()
            print(f"{s:>6}{math.degrees(math.atan2(cy, cx)):>14.0f}{math.hypot(cx, cy):>9.2f}{spread(x):>10.3f}")
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.0))
        fig.suptitle(T(f"{n_seeds} seeds (thin) and their median (thick)", f"{n_seeds} 个种子（细线）及其中位数（粗线）"), fontsize=10)
        for name, key in runs.items():
            for ax, j in zip(axes, range(3)):
                col = (MODES, KL, ring_study.MEASURES.index("energy"))[j]
                # en: each seed as a thin line, their median thick
                # zh: 每个种子一条细线，中位数用粗线
                lines = ax.plot(study.steps, study.metrics[key][:, :, col].T, lw=0.5, alpha=0.35)
                for ln in lines:
                    ln.set_color(f"C{list(runs).index(name)}")
                ax.plot(study.steps, np.median(study.metrics[key][:, :, col], axis=0), "o-", ms=3, lw=2,
                        color=f"C{list(runs).index(name)}", label=name)
        axes[0].set_title(T("Modes covered (of 8)", "覆盖的模式数（共 8 个）"))
        axes[1].set_title(T("KL to uniform over modes", "各模式占比与均匀分布的 KL"))
        axes[2].set_title(T("Energy distance to the data", "与数据的能量距离"))
        axes[2].set_yscale("log")
        for ax in axes:
            ax.set_xlabel(T("training step", "训练步"))
        axes[0].legend(fontsize=7)
        plt.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        The table, the figures and the verdicts tell three different stories.

        * **Run A** (balanced) first spreads its samples over the whole ring and then sharpens them onto the
          modes. No seed collapses, but covering *all eight* modes at the last step is a matter of luck: only
          some seeds do, and the thin lines show why — the number of modes covered wanders up and down during
          training (seed 0 covers all eight at steps 1,000 and 1,250, and one fewer at 1,500).
        * **Run B** (the generator five times faster than the discriminator) **collapses in every seed**. In
          seed 0, from step 250 on, the 1,000 samples — made from 1,000 different noise vectors — sit in a
          streak much narrower than the data (the spread column), whose centre jumps round the circle from one
          snapshot to the next. The high-quality fraction stays near zero (the streak does not even settle on a
          mode), the KL is pinned at $\log 8$, and the energy distance stays near that of "everything on one
          mode". This is the Helvetica scenario: the slow discriminator cannot follow, so the generator keeps
          moving all its mass to wherever $D$ is currently most fooled.
        * **Run C** has B's learning rates but four discriminator steps per generator step. The collapse is
          gone in every seed, and most seeds cover all eight modes. Whether C also *beats* the balanced run A
          is another question, and the verdict line answers it: with 20 seeds the two intervals overlap, so at
          this budget there is no difference to report.

        Two honest caveats. The remedy is not free: a step of run C costs about two and a half times the
        computation of a step of A or B (four discriminator updates instead of one). And a single run proves
        little: trained on your machine, seed 0 may cover seven modes where ours covered eight. That is why the
        counts above are over 20 seeds, with intervals; `ring_study.gan_run(lr_g=1e-3, lr_d=2e-4, d_steps=1, seed=…)` trains
        any one of them live.
        """,
        zh=r"""
        上面的表格、图和结论讲述了三个不同的故事。

        * **训练 A**（均衡）先把样本铺满整个圆环，再把它们收拢到各个模式上。没有一个种子发生坍塌，但在最后一步能否覆盖*全部八个*模式要看运气：
          只有部分种子做到了。细线说明了原因——训练过程中覆盖的模式数时高时低（种子 0 在第 1,000 步和第 1,250 步覆盖全部八个，
          到第 1,500 步又少了一个）。
        * **训练 B**（生成器比判别器快五倍）**在每个种子上都发生了坍塌**。在种子 0 中，从第 250 步起，这 1,000 个样本——来自 1,000 个不同的噪声向量——
          都挤在一条比数据窄得多的条带里（见离散程度一列），而且条带的中心在相邻快照之间绕着圆周跳来跳去。
          高质量比例始终接近零（条带甚至没有停在某个模式上），KL 钉在 $\log 8$，能量距离也一直接近“全部在一个模式上”的水平。
          这就是 Helvetica 情形：迟缓的判别器跟不上，生成器便不断把全部质量搬到 $D$ 当下最容易被骗的地方。
        * **训练 C** 使用与 B 相同的学习率，但每个生成器步配四个判别器步。坍塌在每个种子上都消失了，多数种子覆盖了全部八个模式。
          至于 C 是否还*胜过*均衡的训练 A，那是另一个问题，结论那一行给出了答案：20 个种子下两个区间相互重叠，在这个预算下没有差别可报。

        还有两点需要如实说明。这种补救并非没有代价：训练 C 的每一步的计算量约为 A 或 B 的两倍半（判别器要更新四次而不是一次）。
        而且单次训练说明不了多少问题：在你的机器上训练，种子 0 也许只覆盖七个模式，而我们的覆盖了八个。所以上面的计数都基于 20 个种子，
        并附有置信区间；`ring_study.gan_run(lr_g=1e-3, lr_d=2e-4, d_steps=1, seed=…)` 可以当场训练其中任意一次。
        """,
    ),
    # ------------------------------------------------------------------------------------------------ widget
    md(
        en=r"""
        ### Watch it happen

        In JupyterLab the slider below is live: move it to step through training and see the three runs side by
        side at the same step. (The rendered book cannot run Python, so the static figure after it shows all
        recorded steps.)
        """,
        zh=r"""
        ### 亲眼看一看

        在 JupyterLab 中，下面的滑块是可以拖动的：拖动它逐步回放训练过程，并排查看三次训练在同一步的样本。
        （网页版的书无法运行 Python，所以紧随其后的静态图给出了所有记录下来的步数。）
        """,
    ),
    code(
        """
        from matplotlib.figure import Figure

        def step_figure(step):
            '''The three runs at one recorded step, as a figure that is not shown by itself.'''
            i = study.steps.index(step)
            fig = Figure(figsize=(7.5, 2.7))
            for ax, (name, key) in zip(fig.subplots(1, 3), runs.items()):
                m, kl = int(M[name][i, MODES]), M[name][i, KL]
                draw_samples(ax, study.snapshots[key][i], name + "\\n" + T(f"{m} mode{'' if m == 1 else 's'}, KL {kl:.2f}", f"{m} 个模式，KL {kl:.2f}"))
            fig.suptitle(T(f"step {step}, seed 0", f"第 {step} 步，种子 0"), fontsize=10)
            fig.tight_layout()
            return fig

        # en: slider_figure redraws the figure whenever the slider moves (live in JupyterLab)
        # zh: 每当滑块移动，slider_figure 就重新绘图（在 JupyterLab 中实时生效）
        slider = widgets.SelectionSlider(options=study.steps, value=STEPS, description=T("step", "训练步"))
        slider_figure(step_figure, slider, tight=True)
        """
    ),
    code(
        """
        fig, axes = plt.subplots(3, len(steps_a), figsize=(1.45 * len(steps_a), 5.0))
        for row, (name, key) in zip(axes, runs.items()):
            for ax, s, x in zip(row, study.steps, study.snapshots[key]):
                draw_samples(ax, x, T(f"step {s}", f"第 {s} 步"))
            row[0].set_ylabel(name, fontsize=8)
        fig.suptitle(T("Samples over training, seed 0: balanced (A), collapsed (B), remedied (C)", "训练过程中的样本，种子 0：均衡（A）、坍塌（B）、补救后（C）"), fontsize=10)
        plt.tight_layout()
        plt.show()
        """
    ),
    # ------------------------------------------------------------------------------------------------ summary, exercises
    md(
        en=r"""
        ## Summary

        * The GAN value $V(D, G)$ gives **two losses**: the discriminator minimises the binary cross-entropy
          $-[\log D(x) + \log(1 - D(G(z)))] = -V$; the generator minimises $\log(1 - D(G(z)))$ (saturating) or, in
          practice, $-\log D(G(z))$ (non-saturating).
        * For a fixed generator the best discriminator is $D^* = p_\text{data} / (p_\text{data} + p_g)$; a
          trained network finds it where there is data.
        * Against $D^*$ the generator minimises $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_g)$, whose
          minimum $-\log 4$ is reached only at $p_g = p_\text{data}$.
        * The saturating loss's gradient is proportional to $D(G(z))$ and vanishes when $D$ rejects the fakes;
          the non-saturating loss keeps a gradient of order 1 there.
        * Alternating gradient steps only approximate the theory; when the generator outpaces the
          discriminator it collapses, and the collapse can be measured (modes covered, high-quality fraction,
          KL to uniform, energy distance).

        Other remedies for mode collapse, not tried here: minibatch discrimination {cite:p}`salimans2016improved`,
        unrolling the discriminator's updates {cite:p}`metz2017unrolled`, packing several samples into one
        discriminator input {cite:p}`lin2018pacgan` (`MLPDiscriminator(pack=...)`), two time-scale learning rates
        {cite:p}`heusel2017fid`, and the Wasserstein GAN {cite:p}`arjovsky2017wgan`.

        ## Exercises

        1. **Where $D^*$ is $\tfrac12$.** For the pair of section 2, at which $x$ is $D^*(x) = \tfrac12$? Find the
           points numerically and check that the trained discriminator crosses $\tfrac12$ near them.
        2. **Disjoint supports.** Let $p_\text{data}$ be uniform on $[0, 1]$ and $p_g$ uniform on $[\theta, \theta + 1]$.
           Compute $C(G)$ as a function of $\theta$ (by hand and on the grid) for $\theta \in [0, 2]$. What happens
           for $\theta > 1$, and what does that mean for a gradient-based generator?
        3. **The factor $D(G(z))$.** Show that $\frac{d}{d\ell}\log(1 - \sigma(\ell)) = -\sigma(\ell)$ and that
           $\frac{d}{d\ell}(-\log\sigma(\ell)) = \sigma(\ell) - 1$. Then check both with `torch.autograd` at $\ell = -8$.
        4. **Another remedy.** Rerun run B with `MLPDiscriminator(pack=2)` (PacGAN: the discriminator judges
           pairs of samples) instead of $k = 4$, and measure it with `mode_coverage`. Compare the three numbers
           with runs B and C.
        """,
        zh=r"""
        ## 小结

        * GAN 的价值函数 $V(D, G)$ 给出**两个损失**：判别器最小化二元交叉熵 $-[\log D(x) + \log(1 - D(G(z)))] = -V$；
          生成器最小化 $\log(1 - D(G(z)))$（饱和），实践中则最小化 $-\log D(G(z))$（非饱和）。
        * 生成器固定时，最优判别器是 $D^* = p_\text{data} / (p_\text{data} + p_g)$；训练出的网络在有数据的地方找到了它。
        * 面对 $D^*$，生成器最小化 $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_\text{data}\,\|\,p_g)$，其最小值 $-\log 4$ 只在 $p_g = p_\text{data}$ 时取到。
        * 饱和损失的梯度正比于 $D(G(z))$，在判别器识破赝品时消失；非饱和损失在那里仍保持量级为 1 的梯度。
        * 交替的梯度更新只是近似地实现了理论；生成器跑得比判别器快时会发生坍塌，而坍塌是可以测量的（覆盖的模式数、高质量比例、与均匀分布的 KL、能量距离）。

        本章没有尝试的其他补救方法：小批量判别 {cite:p}`zh-salimans2016improved`、展开判别器的更新 {cite:p}`zh-metz2017unrolled`、
        把多个样本打包成判别器的一个输入 {cite:p}`zh-lin2018pacgan`（`MLPDiscriminator(pack=...)`）、双时间尺度学习率
        {cite:p}`zh-heusel2017fid`，以及 Wasserstein GAN {cite:p}`zh-arjovsky2017wgan`。

        ## 练习

        1. **$D^*$ 等于 $\tfrac12$ 的地方。** 对第 2 节的那对密度，$D^*(x) = \tfrac12$ 在哪些 $x$ 处成立？用数值方法找出这些点，并检验训练出的判别器是否在它们附近穿过 $\tfrac12$。
        2. **不相交的支撑集。** 设 $p_\text{data}$ 是 $[0, 1]$ 上的均匀分布，$p_g$ 是 $[\theta, \theta + 1]$ 上的均匀分布。
           对 $\theta \in [0, 2]$，把 $C(G)$ 写成 $\theta$ 的函数（手算，并在网格上计算）。$\theta > 1$ 时会怎样？这对基于梯度的生成器意味着什么？
        3. **因子 $D(G(z))$。** 证明 $\frac{d}{d\ell}\log(1 - \sigma(\ell)) = -\sigma(\ell)$ 以及 $\frac{d}{d\ell}(-\log\sigma(\ell)) = \sigma(\ell) - 1$，
           再用 `torch.autograd` 在 $\ell = -8$ 处验证两者。
        4. **另一种补救方法。** 用 `MLPDiscriminator(pack=2)`（PacGAN：判别器一次评判一对样本）代替 $k = 4$ 重做训练 B，
           用 `mode_coverage` 测量结果，并把这三个指标与训练 B、C 比较。
        """,
    ),
    code(
        """
        # en: Self-checks: solve an exercise in a cell of your own, then run check(n) on it (right, close or wrong, with a hint).
        # zh: 自测：在自己的单元格里做完练习 n，再运行 check(n)（它会给出“正确”“接近”或“还不对”的判断，并附上提示）。
        from course_lib.exercises import self_checks

        check = self_checks(2, globals(), lang=T("en", "zh"))
        check()
        """
    ),
    solution(
        1,
        en=r"""
        $D^*(x) = \tfrac12$ exactly where $p_\text{data}(x) = p_g(x)$:
        """,
        zh=r"""
        $D^*(x) = \tfrac12$ 恰好在 $p_\text{data}(x) = p_g(x)$ 处成立：
        """,
        code=r"""
        diff = p_data_1d(xs) - p_g_1d(xs)
        crossings = xs[:-1][np.sign(diff[:-1]) != np.sign(diff[1:])]
        print("D* = 1/2 at", np.round(crossings, 2))
        print("D_net there:", np.round(np.interp(crossings, xs, d_net), 2))
        """,
        en_after=r"""
        There are four crossings: $p_g$ wins in both tails (it is wider) and between the two data modes. The
        trained network is within a few hundredths of $\tfrac12$ at all four.
        """,
        zh_after=r"""
        共有四个交点：$p_g$ 更宽，在两侧尾部占优，在两个数据模式之间也占优。训练出的网络在这四个点处与 $\tfrac12$ 都只差零点零几。
        """,
        grade=r"""
        # en: The tests read `crossings`: the points of [-4, 4] where D*(x) = 1/2, to within the grid step of `xs`.
        # zh: 测试读取 `crossings`：[-4, 4] 中 D*(x) = 1/2 的点，精确到 `xs` 的网格间距。
        ### BEGIN HIDDEN TESTS
        from scipy.optimize import brentq
        from scipy.stats import norm

        def gap_1d(x):  # p_data - p_g, from the densities' definitions
            return 0.5 * norm.pdf(x, -1.5, 0.5) + 0.5 * norm.pdf(x, 1.0, 0.6) - norm.pdf(x, 0.0, 1.5)

        fine = np.linspace(-4, 4, 8001)
        v = gap_1d(fine)
        roots = [brentq(gap_1d, a, b) for a, b, va, vb in zip(fine[:-1], fine[1:], v[:-1], v[1:]) if va * vb < 0]
        got = np.sort(np.asarray(crossings, dtype=float).reshape(-1))
        assert len(got) == len(roots), T(f"{len(got)} crossings found, but D* = 1/2 at {len(roots)} points",
                                         f"找到 {len(got)} 个交点，但 D* = 1/2 的点有 {len(roots)} 个")
        assert np.abs(got - np.array(roots)).max() < 0.02, T("the crossings are not where p_data = p_g",
                                                            "交点不在 p_data = p_g 的位置")
        ### END HIDDEN TESTS
        """,
        points=2,
    ),
    solution(
        2,
        en=r"""
        For $0 \le \theta \le 1$ the densities overlap on $[\theta, 1]$, where $D^* = \tfrac12$; elsewhere
        $D^* \in \{0, 1\}$ and the integrand is $0$. So $C(G) = (1 - \theta)\,(2 \cdot \log\tfrac12) = -(1-\theta)\log 4$,
        rising linearly from $-\log 4$ to $0$. For $\theta > 1$ the supports are disjoint: $C(G) = 0$ whatever
        $\theta$ is — the JSD is stuck at $\log 2$ and its gradient with respect to $\theta$ is zero, so a generator
        following $\nabla C$ gets no signal. (The Wasserstein distance, by contrast, keeps growing with $\theta$.)
        """,
        zh=r"""
        当 $0 \le \theta \le 1$ 时，两个密度在 $[\theta, 1]$ 上重叠，那里 $D^* = \tfrac12$；其他地方 $D^* \in \{0, 1\}$，被积函数为 $0$。
        所以 $C(G) = (1 - \theta)\,(2 \cdot \log\tfrac12) = -(1-\theta)\log 4$，从 $-\log 4$ 线性上升到 $0$。
        当 $\theta > 1$ 时支撑集不相交：无论 $\theta$ 取多少，$C(G) = 0$——JSD 停在 $\log 2$，它对 $\theta$ 的梯度为零，
        沿 $\nabla C$ 前进的生成器得不到任何信号。（相比之下，Wasserstein 距离会随 $\theta$ 持续增大。）
        """,
        code=r"""
        def c_of_theta(theta):
            # en: D* = 1/2 on the overlap [theta, 1], where both terms give log(1/2); 0 or 1 elsewhere
            # zh: 在重叠区间 [theta, 1] 上 D* = 1/2，两项各贡献 log(1/2)；其余地方 D* 为 0 或 1
            return -(1 - min(theta, 1)) * math.log(4)

        for theta in [0.0, 0.25, 0.5, 1.0, 1.5, 2.0]:
            p = ((grid >= 0) & (grid <= 1)).astype(float)
            q = ((grid >= theta) & (grid <= theta + 1)).astype(float)
            print(theta, round(C_of_G(p, q), 3), round(c_of_theta(theta), 3))
        """,
        points=2,
    ),
    solution(
        3,
        en=r"""
        $\frac{d}{d\ell}\log(1-\sigma) = \frac{-\sigma(1-\sigma)}{1-\sigma} = -\sigma$ and
        $\frac{d}{d\ell}(-\log\sigma) = -\frac{\sigma(1-\sigma)}{\sigma} = \sigma - 1$.
        """,
        zh=r"""
        $\frac{d}{d\ell}\log(1-\sigma) = \frac{-\sigma(1-\sigma)}{1-\sigma} = -\sigma$，
        $\frac{d}{d\ell}(-\log\sigma) = -\frac{\sigma(1-\sigma)}{\sigma} = \sigma - 1$。
        """,
        code=r"""
        l = torch.tensor([-8.0], requires_grad=True)
        for kind in ("saturating", "non_saturating"):
            (g,) = torch.autograd.grad(generator_loss(l, kind), l)
            print(kind, float(g))
        print(-float(torch.sigmoid(torch.tensor(-8.0))), float(torch.sigmoid(torch.tensor(-8.0))) - 1)
        """,
        en_after=r"""
        At $\ell = -8$, $D(G(z)) \approx 3.4 \cdot 10^{-4}$: the saturating gradient is about 3,000 times smaller.
        """,
        zh_after=r"""
        在 $\ell = -8$ 处 $D(G(z)) \approx 3.4 \times 10^{-4}$：饱和损失的梯度大约小 3,000 倍。
        """,
        grade=r"""
        # en: The tests read `g`: the gradient of the non-saturating loss at l = -8 (the last one your loop computes).
        # zh: 测试读取 `g`：非饱和损失在 l = -8 处的梯度（循环最后计算的那个）。
        ### BEGIN HIDDEN TESTS
        # en: d/dl (-log sigmoid(l)) = sigmoid(l) - 1, in float64
        # zh: d/dl (-log sigmoid(l)) = sigmoid(l) - 1，用 float64 计算
        expected = 1 / (1 + math.exp(8.0)) - 1
        assert abs(float(g) - expected) < 1e-5, T(f"g = {float(g):.6g}, but the non-saturating gradient is {expected:.6g}",
                                                  f"g = {float(g):.6g}，但非饱和损失的梯度是 {expected:.6g}")
        ### END HIDDEN TESTS
        """,
        written=1,
    ),
    solution(
        4,
        en="",
        zh="",
        code=r"""
        # en: a few seeds, not one: single GAN runs are chaotic
        # zh: 用几个种子而不是一个：单次 GAN 训练是混沌的
        for seed in range(3):
            torch.manual_seed(seed)
            g = MLPGenerator(z_dim=2, hidden=128, layers=2)
            d = MLPDiscriminator(in_dim=2, hidden=128, layers=2, pack=2)
            h = train_gan(ring, g, d, steps=STEPS, batch_size=128, lr_g=1e-3, lr_d=2e-4, seed=seed, device="cpu")
            c = mode_coverage(h.snapshots[-1], std=RING_STD)
            print(seed, c.modes_covered, round(c.high_quality, 2), round(c.kl_to_uniform, 2),
                  round(energy_distance(h.snapshots[-1], ring_ref), 2))
        """,
        en_after=r"""
        Packing removes the streak: the samples spread round the ring and the energy distance (printed last)
        falls from run B's value to the same order as runs A and C. But after 1,500 steps only a small share of
        the samples lies within $3\sigma$ of a centre, so few modes count as covered. In this setting packing
        is slower to sharpen the samples than $k = 4$; it would need a longer run (and, for a verdict, as many
        seeds as the study).
        """,
        zh_after=r"""
        打包消除了条带：样本沿圆环散开，能量距离（最后打印的数）从训练 B 的水平降到与训练 A、C 同一数量级。
        但训练 1,500 步后，只有一小部分样本落在某个中心的 $3\sigma$ 以内，所以算作被覆盖的模式很少。
        在这个设置下，打包让样本变清晰的速度比 $k = 4$ 慢，需要训练更久（要下结论，还需要像那项研究一样多的种子）。
        """,
        points=2,
    ),
    md(
        en=r"""
        ## References

        See the [references page](../../book/en/references.md) for the full bibliography.
        """,
        zh=r"""
        ## 参考文献

        完整的参考文献列表见[参考文献页](../../book/zh/references.md)。
        """,
    ),
]
