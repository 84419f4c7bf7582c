"""Chapter 5: the MNIST project — an evaluator, a DCGAN and a VAE, trained by course_lib, measured and compared."""
from twins import code, md, objectives, solution

CELLS = [
    md(
        en=r"""
        # 5 · The MNIST project: a DCGAN and a VAE, measured side by side

        Chapters 2 and 3 built a GAN and a VAE from their equations. This chapter turns them into a small
        project of the kind you would run for real: the models are trained by `course_lib`'s **command line**,
        saved as **checkpoints with model cards**, and judged by **numbers** rather than by eye. By the end you
        will have

        * seen why a generative model needs an *independent measuring instrument*, and built one: a small MNIST
          classifier whose features give a Fréchet distance {cite:p}`heusel2017fid` and whose labels give class
          coverage;
        * met the classic mistake of a "generator" that outputs 7 × 7 images, and fixed it with the transposed
          convolutions of the DCGAN {cite:p}`radford2016dcgan`;
        * loaded a DCGAN {cite:p}`goodfellow2014gan` and a convolutional VAE {cite:p}`kingma2014vae` from their
          checkpoints, watched their quality change over training, and put them in one table with the
          real-vs-real floor;
        * learned the commands that train the full models on a GPU.

        Everything below runs on a CPU in about a minute, because the training happened beforehand, through
        the command line, and this notebook only loads the results (plus one short live training run).
        """,
        zh=r"""
        # 5 · MNIST 实战项目：把 DCGAN 与 VAE 放在一起量一量

        第 2、3 章从公式出发搭建了生成对抗网络和变分自编码器。本章把它们做成一个像样的小项目：模型由 `course_lib` 的
        **命令行**训练，保存为**带模型卡的检查点**，并且用**数字**而不是肉眼来评判。读完本章，你将：

        * 明白生成模型为什么需要一把*独立的尺子*，并亲手做一把：一个小型 MNIST 分类器——它的特征给出弗雷歇距离
          {cite:p}`zh-heusel2017fid`，它的预测标签给出类别覆盖；
        * 见识一个经典错误——“生成器”输出的是 7 × 7 的图像——并用 DCGAN {cite:p}`zh-radford2016dcgan` 的转置卷积改正它；
        * 从检查点加载一个 DCGAN {cite:p}`zh-goodfellow2014gan` 和一个卷积 VAE {cite:p}`zh-kingma2014vae`，观察它们在训练过程中的质量变化，
          并把它们与“真实对真实”的下限放进同一张表；
        * 学会在 GPU 上训练完整模型的命令。

        下面的一切在 CPU 上大约一分钟就能跑完：训练早已通过命令行完成，本笔记本只加载结果（外加一次很短的现场训练）。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            "follow the data from the file to the model, and explain why a trained classifier serves as the measuring instrument;",
            "compute the classifier-feature Fréchet distance and class coverage, and read them against the real-vs-real floor at the same sample size;",
            "explain why Dense → reshape → Dense cannot draw a 28 × 28 digit, and how transposed convolutions do;",
            "load the DCGAN and the VAE trained by the command line, read their model cards, and train a VAE live for a few epochs;",
            "compare GAN, VAE and diffusion model with intervals, naming a winner only where the intervals separate;",
            "train the full models on a GPU from the command line.",
        ],
        zh=[
            "跟踪数据从文件到模型的全过程，并解释为什么要用训练好的分类器作为测量工具；",
            "计算基于分类器特征的弗雷歇距离和类别覆盖，并与相同样本量下“真实对真实”的下限对照着解读；",
            "解释为什么“全连接 → 变形 → 全连接”画不出 28 × 28 的数字，而转置卷积可以；",
            "载入由命令行训练的 DCGAN 和变分自编码器，读懂它们的模型卡，并当场把一个变分自编码器训练几轮；",
            "带置信区间地比较生成对抗网络、变分自编码器与扩散模型，只有区间分开时才判定胜者；",
            "在 GPU 上用命令行训练完整模型。",
        ],
        chapters=(2, 3),
        maths_en="means and covariance matrices of Gaussians, the matrix square root (in the Fréchet distance), confidence intervals.",
        maths_zh="高斯分布的均值与协方差矩阵、矩阵平方根（弗雷歇距离中用到）、置信区间。",
    ),
    code(
        """
        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        import torch.nn.functional as F
        from torch import nn

        import course_lib
        from course_lib.notebook import pad
        from course_lib import load_offline_mnist, show_images
        from course_lib.checkpoint import read_card
        from course_lib.models.dcgan import DCGANGenerator, load_dcgan, load_snapshots
        from course_lib.evaluator import (FrechetToReference, checkpoint_fd, class_coverage, features, frechet_distance,
                                          kl_to_uniform, load_classifier, predict, predict_proba, shipped_checkpoint)
        from course_lib.stats import Interval, bootstrap_interval, verdict
        from course_lib.models.diffusion_task import load_samples, row_interval, sampling_row
        from course_lib.models.vae import ConvVAE, evaluate_vae, load_vae, train_vae

        # en: Every chapter starts like this: fixed seeds, fonts that can draw Chinese, PNG figures.
        # zh: 每一章都以此开头：固定随机种子、设置能显示中文的字体、图像输出为 PNG。
        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    md(
        en=r"""
        ## The data, and how it reaches the model

        We use the book's offline split (chapter 0): 4,000 training digits and 1,000 held-out digits, 28 × 28
        grey levels in $[0, 1]$. The models never see the held-out digits; the evaluator uses them to set the
        scale of its numbers.

        **A data pipeline without a `DataLoader`.** The usual PyTorch tutorial wraps the images in a `Dataset`
        whose `__getitem__` converts *one* image at a time (to a PIL image, then to a tensor), and a
        `DataLoader` that collates them into minibatches. For MNIST the whole training set is 4,000 × 784
        floats — 12.5 MB (188 MB for the 60,000 digits of full MNIST) — so `course_lib` keeps it on the device
        as **one tensor**, draws a random permutation of indices on the device each epoch, and slices
        minibatches as `x[idx]`. No per-image Python work, no copies between CPU and GPU during training.
        """,
        zh=r"""
        ## 数据，以及数据如何送进模型

        我们使用本书的离线划分（第 0 章）：4,000 张训练数字和 1,000 张留出数字，都是取值在 $[0, 1]$ 的 28 × 28 灰度图。
        模型从不接触留出数字；评估器用它们来确定各项指标的尺度。

        **不用 `DataLoader` 的数据管线。** 常见的 PyTorch 教程把图像包进一个 `Dataset`，它的 `__getitem__` 每次只转换*一张*图
        （先转成 PIL 图像，再转成张量），再由 `DataLoader` 把它们拼成小批量。MNIST 的整个训练集只有 4,000 × 784 个浮点数，
        约 12.5 MB（完整 MNIST 的 60,000 张也只有 188 MB），所以 `course_lib` 把它作为**一个张量**放在设备上：
        每一轮在设备上生成一个随机排列，再用 `x[idx]` 切出小批量。训练时既没有逐张图像的 Python 开销，也没有 CPU 与 GPU 之间的来回拷贝。
        """,
    ),
    code(
        """
        x_train, y_train = load_offline_mnist("train")
        x_held, y_held = load_offline_mnist("heldout")
        print(T("training digits:", "训练数字："), tuple(x_train.shape), T("held-out digits:", "留出数字："), tuple(x_held.shape))
        print(T("size of the training tensor:", "训练张量大小："), f"{x_train.numel() * 4 / 1e6:.1f} MB")

        # en: one epoch of minibatches, drawn by index from the single tensor
        # zh: 一轮中的小批量：从同一个张量里按索引切出
        from course_lib.data import minibatch_indices

        gen = torch.Generator().manual_seed(0)
        batches = list(minibatch_indices(len(x_train), 128, "cpu", gen))
        seen = torch.cat(batches)
        print(T("minibatches per epoch:", "每轮小批量个数："), len(batches),
              T("| every digit exactly once:", "| 每张图恰好出现一次："), bool(torch.equal(seen.sort().values, torch.arange(len(x_train)))))
        show_images(x_train[batches[0][:20]], nrow=10, labels=y_train[batches[0][:20]].tolist(),
                    title=T("the first 20 digits of a random minibatch", "一个随机小批量的前 20 张"))
        plt.show()
        """
    ),
    md(
        en=r"""
        How much faster is this than the `Dataset` + `DataLoader` way? `bench/throughput.py` trains the same
        models with the same batch size both ways, side by side on the same machine, and stores its table in
        `course_lib/studies/bench.json`. The cell below prints the CPU measurements made for this book (GPU rows appear
        where the benchmark was run on a GPU).
        """,
        zh=r"""
        这样做比 `Dataset` + `DataLoader` 的写法快多少？`bench/throughput.py` 用同样的模型、同样的批大小，在同一台机器上
        把两种写法并排训练，并把结果表存入 `course_lib/studies/bench.json`。下面的单元格打印为本书测得的 CPU 数据（若在 GPU 上运行过基准测试，
        也会列出 GPU 的行）。
        """,
    ),
    code(
        """
        from course_lib.checkpoint import load_bench

        bench = load_bench()
        print(f"{pad(T('model', '模型'), 10, '<')} {pad(T('device', '设备'), 7, '<')} {pad(T('threads', '线程'), 7)} {'course_lib':>11} "
              f"{pad(T('default Adam', '默认 Adam'), 13)} {pad(T('baseline', '基线'), 9)} {pad(T('ratio', '倍数'), 7)}")
        for row in bench["throughput"]:
            plain = f"{row['course_lib_default_adam']:,}" if "course_lib_default_adam" in row else "—"
            print(f"{row['model']:<10} {row['device']:<7} {row['threads']:>7} {row['course_lib']:>11,} {plain:>13} "
                  f"{row['baseline']:>9,} {row['course_lib'] / row['baseline']:>6.2f}×")
        print(T("(images per second, training; 'default Adam': the course_lib loop with PyTorch's default optimiser)",
                "（训练时每秒处理的图像数；“默认 Adam”：course_lib 的循环换用 PyTorch 默认的优化器）"))

        cpu = {(r["model"], r["threads"]): r for r in bench["throughput"] if r["device"] == "cpu"}
        for model in ("mlp_vae", "conv_vae"):
            one, two = cpu[(model, 1)], cpu[(model, 2)]
            print(f"{model:<10}", T("ratio with 1 → 2 threads:", "1 → 2 个线程时的倍数："),
                  f"{one['course_lib'] / one['baseline']:.2f}× → {two['course_lib'] / two['baseline']:.2f}×",
                  T("| fused Adam vs default (2 threads):", "| 融合 Adam 对比默认（2 个线程）："),
                  f"{two['course_lib'] / two['course_lib_default_adam'] - 1:+.0%}")
        """
    ),
    md(
        en=r"""
        The gain is largest where the model is cheap (the MLP VAE), because there the per-image Python work
        of the `DataLoader` *is* most of the time; for convolutional models on a CPU the arithmetic dominates
        and the two pipelines come closer. A second thread widens the gap for both VAEs: it speeds up the
        arithmetic of both loops, but not the `DataLoader`'s per-image work, which pytorch/examples does in the
        main process on a CPU. The *default Adam* column separates the two sources of the gain: the rest of it is
        the optimiser step, which `course_lib.optim.make_optimizer` fuses into one kernel per parameter tensor, and which
        matters most where the forward pass is cheapest. On a GPU the arithmetic is fast again, which is why
        keeping the data on the device matters most there.

        ## The evaluator, and why we need one

        A GAN's losses do not tell you how good its images are: the discriminator and the generator chase each
        other, and their losses can sit still while the samples improve, or drop while the generator collapses
        onto a few digits. A VAE's negative ELBO measures how well it *explains* held-out digits, not how its
        *samples* look. To compare a GAN with a VAE we need one instrument that looks only at images.

        For MNIST a good instrument is a small classifier, trained once on real digits and then frozen. Two
        numbers come from it:

        * **Class coverage.** Label $n$ samples with the classifier and count each digit, giving a histogram
          $p = (p_0, \dots, p_9)$. A generator that covers all ten digits evenly has $p$ close to uniform $u$;
          we report
          $$\mathrm{KL}(p \,\|\, u) = \sum_{k=0}^{9} p_k \log \frac{p_k}{1/10} \quad \text{nats},$$
          which is $0$ for perfect balance and $\log 10 \approx 2.303$ for a generator stuck on one digit.
        * **Fréchet distance.** Take the classifier's 128 hidden-layer activations as features, fit a Gaussian
          $\mathcal N(\mu_r, \Sigma_r)$ to those of real digits and $\mathcal N(\mu_g, \Sigma_g)$ to those of
          generated ones, and compute
          $$\mathrm{FD} = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{Tr}\!\big(\Sigma_r + \Sigma_g - 2\,(\Sigma_r \Sigma_g)^{1/2}\big).$$
          This is the FID of {cite:t}`heusel2017fid` with an MNIST classifier instead of the Inception network.
          It is lower when the samples look like digits *and* vary like digits. `course_lib` computes it with
          torchmetrics' `FrechetInceptionDistance`, given the classifier as its feature extractor.

        The classifier below was trained by `python -m course_lib train classifier` (its model card records the
        exact command). First, is the instrument accurate?
        """,
        zh=r"""
        在模型计算量小的地方（MLP VAE）收益最大，因为此时 `DataLoader` 逐张处理图像的 Python 开销*就是*大部分时间；
        对 CPU 上的卷积模型而言，算术运算占了主导，两种管线的差距就缩小了。多用一个线程，两个 VAE 的差距都会拉大：
        第二个线程让两种循环的算术都变快，却帮不了 `DataLoader` 逐张处理图像的工作——pytorch/examples 在 CPU 上是在主进程里做这件事的。
        “默认 Adam”一列把收益的两个来源分开：除数据管线之外，其余的收益来自优化器这一步——`course_lib.optim.make_optimizer`
        把它融合成每个参数张量一次内核调用；前向计算越便宜，这一步就越要紧。到了 GPU 上，算术又变得很快，
        所以“数据留在设备上”在 GPU 上最为要紧。

        ## 评估器：为什么需要它

        生成对抗网络的损失并不能告诉你图像好不好：判别器和生成器互相追赶，样本在变好时两个损失可能纹丝不动；
        生成器发生模式坍塌、只画少数几个数字时，损失反而可能下降。VAE 的负 ELBO 衡量的是它*解释*留出数字的能力，而不是它的*样本*长什么样。
        要在生成对抗网络和变分自编码器之间做比较，我们需要一件只看图像的测量工具。

        对 MNIST 来说，一个小分类器就是很好的工具：用真实数字训练一次，然后冻结。它给出两个数：

        * **类别覆盖。** 用分类器给 $n$ 个样本打标签，统计每个数字出现的次数，得到直方图 $p = (p_0, \dots, p_9)$。
          均匀覆盖十个数字的生成器，其 $p$ 接近均匀分布 $u$。我们报告
          $$\mathrm{KL}(p \,\|\, u) = \sum_{k=0}^{9} p_k \log \frac{p_k}{1/10} \quad \text{奈特},$$
          完全均衡时为 $0$，只会画一个数字的生成器则为 $\log 10 \approx 2.303$。
        * **弗雷歇距离。** 取分类器隐藏层的 128 个激活值作为特征，对真实数字的特征拟合高斯分布 $\mathcal N(\mu_r, \Sigma_r)$，
          对生成样本的特征拟合 $\mathcal N(\mu_g, \Sigma_g)$，然后计算
          $$\mathrm{FD} = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{Tr}\!\big(\Sigma_r + \Sigma_g - 2\,(\Sigma_r \Sigma_g)^{1/2}\big).$$
          这就是 {cite:t}`zh-heusel2017fid` 提出的 FID，只是把 Inception 网络换成了 MNIST 分类器。样本既要*像*数字，
          又要像真实数字那样*多样*，这个值才会低。`course_lib` 用 torchmetrics 的 `FrechetInceptionDistance` 计算它，
          把分类器作为特征提取器传进去。

        下面的分类器由 `python -m course_lib train classifier` 训练（模型卡记录了确切的命令）。先问：这把尺子准吗？
        """,
    ),
    code(
        """
        classifier, clf_card = load_classifier()          # course_lib/checkpoints/classifier_offline
        print(T("trained by:", "训练命令："), clf_card["command"])
        print(T("parameters:", "参数量："), f"{clf_card['parameters']:,}")
        pred = predict(classifier, x_held)
        print(T("held-out accuracy:", "留出集准确率："), f"{float((pred == y_held).float().mean()):.3f}")
        per_class = [float((pred[y_held == d] == d).float().mean()) for d in range(10)]
        print(T("per digit:", "各数字："), [round(a, 2) for a in per_class])
        """
    ),
    md(
        en=r"""
        Now the two formulas, checked numerically. For the KL we compare `kl_to_uniform` with the sum written
        out by hand; for the Fréchet distance we compare torchmetrics' value with the formula computed here in
        NumPy from the same features, using $\operatorname{Tr}(\Sigma_r\Sigma_g)^{1/2} =
        \operatorname{Tr}(\Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2})^{1/2}$ (a symmetric matrix, so `eigvalsh` applies).
        """,
        zh=r"""
        下面用数值验证这两个公式。KL 部分：把 `kl_to_uniform` 与手写的求和式对比；弗雷歇距离部分：用同一批特征，
        在 NumPy 里按公式重新计算，与 torchmetrics 的结果对比。这里用到
        $\operatorname{Tr}(\Sigma_r\Sigma_g)^{1/2} = \operatorname{Tr}(\Sigma_r^{1/2}\Sigma_g\Sigma_r^{1/2})^{1/2}$
        （右边是对称矩阵，可以用 `eigvalsh`）。
        """,
    ),
    code(
        """
        counts = torch.tensor([120, 80, 100, 100, 95, 105, 100, 90, 110, 100])
        p = counts / counts.sum()
        print(T("KL(p || uniform): library", "KL(p || 均匀)：库函数"), f"{kl_to_uniform(counts):.6f}",
              T("| by hand", "| 手算"), f"{float((p * torch.log(p * 10)).sum()):.6f}",
              T("| one digit only:", "| 只有一个数字："), f"{kl_to_uniform(torch.tensor([50] + [0] * 9)):.4f}",
              "= log 10 =", f"{np.log(10):.4f}")

        a, b = x_train, x_held
        fd_lib = frechet_distance(a, b, classifier)
        fa, fb = features(classifier, a).double().numpy(), features(classifier, b).double().numpy()
        mu_a, mu_b = fa.mean(0), fb.mean(0)
        s_a, s_b = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
        w, v = np.linalg.eigh(s_a)
        root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
        m = root_a @ s_b @ root_a
        tr_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
        fd_by_hand = ((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * tr_sqrt
        print(T("Fréchet distance, torchmetrics:", "弗雷歇距离，torchmetrics："), f"{fd_lib:.2f}",
              T("| formula in NumPy:", "| NumPy 按公式："), f"{fd_by_hand:.2f}")
        """
    ),
    md(
        en=r"""
        ### The real-vs-real floor

        The number just computed is not zero, although both sets are real digits: the 1,000 held-out digits are
        a *different sample* from the same distribution as the 4,000 training digits, and a Fréchet distance
        estimated from finite samples is biased upwards. This **real-vs-real floor** is the score of a perfect
        generator under our protocol, so it is the scale for every other number:

        * *protocol*: 1,000 images (held-out digits, or samples from a model) against the 4,000 training digits,
          features of the frozen classifier;
        * a generator can approach the floor but should not be expected to go below it (going far below it
          would suggest it copies its training digits — [chapter 6](06_responsible_generation.ipynb) looks into memorisation).
        """,
        zh=r"""
        ### “真实对真实”的下限

        刚算出的数并不为零，尽管两组都是真实数字：1,000 张留出数字与 4,000 张训练数字来自同一分布，却是*不同的样本*，
        而用有限样本估计的弗雷歇距离会偏高。这个**“真实对真实”下限**就是完美生成器在我们的评测方案下能得到的分数，
        因此是衡量其他一切数字的尺度：

        * *评测方案*：1,000 张图像（留出数字，或模型的样本）对比 4,000 张训练数字，使用冻结分类器的特征；
        * 生成器可以逼近这个下限，但不应指望低于它（若远低于它，说明模型可能在照抄训练数字——[第 6 章](06_responsible_generation.ipynb)会研究记忆问题）。
        """,
    ),
    code(
        """
        # en: features of the 4,000 training digits, computed once
        # zh: 4,000 个训练数字的特征，只算一次
        fd_to_train = FrechetToReference(x_train, classifier)
        floor = fd_to_train(x_held)
        cov_real = class_coverage(x_held, classifier)
        print(T("real-vs-real floor (1,000 held-out vs 4,000 training digits):",
                "真实对真实下限（1,000 张留出 vs 4,000 张训练数字）："), f"{floor:.2f}")
        print(T("class histogram of the held-out digits:", "留出数字的类别直方图："), cov_real["histogram"],
              T("KL to uniform:", "与均匀分布的 KL："), f"{cov_real['kl_to_uniform']:.4f}")
        """
    ),
    md(
        en=r"""
        ## A generator that cannot work: Dense → reshape → Dense

        A tempting first generator maps the noise to $128 \cdot 7 \cdot 7$ numbers with a dense layer, reshapes
        them into a $7 \times 7$ map with 128 channels, and applies another dense layer with one output "to
        get the image". But a dense layer acts on the **last axis only**: applied to a $(7, 7, 128)$ tensor it
        returns $(7, 7, 1)$. The output is a $7 \times 7$ image, not $28 \times 28$, and nothing in the network
        can make it larger. The error appears the moment the fake images meet the real ones:
        """,
        zh=r"""
        ## 一个行不通的生成器：Dense → reshape → Dense

        一个诱人的初版生成器是这样的：用全连接层把噪声映射成 $128 \cdot 7 \cdot 7$ 个数，重排成 128 通道的 $7 \times 7$ 特征图，
        再接一个只有一个输出的全连接层，“得到图像”。但全连接层**只作用于最后一个维度**：作用在 $(7, 7, 128)$ 的张量上，
        得到的是 $(7, 7, 1)$。输出是 $7 \times 7$ 的图像，而不是 $28 \times 28$，网络里也没有任何一层能把它放大。
        生成的图像一旦与真实图像相遇，错误就暴露了：
        """,
    ),
    code(
        """
        naive = nn.Sequential(
            nn.Linear(32, 128 * 7 * 7), nn.ReLU(),
            # en: (N, 7, 7, 128), channels last as in the Keras version
            # zh: (N, 7, 7, 128)，与 Keras 版本一样通道在最后
            nn.Unflatten(1, (7, 7, 128)),
            # en: acts on the last axis: (N, 7, 7, 1)
            # zh: 作用在最后一个轴上：(N, 7, 7, 1)
            nn.Linear(128, 1), nn.Sigmoid(),
        )
        fake = naive(torch.randn(16, 32))
        print(T("naive generator output:", "朴素生成器的输出："), tuple(fake.shape),
              T("| real batch:", "| 真实批量："), tuple(x_train[:16].shape))
        try:
            # en: compare fake and real pixel by pixel
            # zh: 逐像素比较生成图像与真实图像
            loss = F.binary_cross_entropy(fake, x_train[:16])
        except (ValueError, RuntimeError) as err:
            print(type(err).__name__, "→", str(err).splitlines()[0])
        """
    ),
    md(
        en=r"""
        **The fix: upsample.** The DCGAN generator {cite:p}`radford2016dcgan` keeps the first two steps and then
        *increases* the spatial size with **transposed convolutions** of stride 2. With kernel $k$, stride $s$
        and padding $p$, a transposed convolution maps size $n$ to
        $$n_{\text{out}} = (n - 1)\,s - 2p + k,$$
        so $k = 4, s = 2, p = 1$ doubles it: $7 \to 14 \to 28$. `course_lib.models.dcgan.DCGANGenerator` does exactly
        this (with batch normalisation and ReLU in between, and a sigmoid so that pixels are grey levels in
        $[0, 1]$). The cell checks the formula against PyTorch and traces the shapes:
        """,
        zh=r"""
        **改正办法：上采样。** DCGAN 生成器 {cite:p}`zh-radford2016dcgan` 保留前两步，然后用步长为 2 的**转置卷积**把空间尺寸*放大*。
        卷积核大小为 $k$、步长为 $s$、填充为 $p$ 时，转置卷积把尺寸 $n$ 变为
        $$n_{\text{out}} = (n - 1)\,s - 2p + k,$$
        因此 $k = 4, s = 2, p = 1$ 恰好使尺寸翻倍：$7 \to 14 \to 28$。`course_lib.models.dcgan.DCGANGenerator` 正是这样做的
        （中间夹着批归一化和 ReLU，最后用 sigmoid 让像素成为 $[0, 1]$ 内的灰度）。下面的单元格用 PyTorch 验证这个公式，并逐层追踪形状：
        """,
    ),
    code(
        """
        for n in (7, 14):
            out = nn.ConvTranspose2d(1, 1, kernel_size=4, stride=2, padding=1)(torch.zeros(1, 1, n, n)).shape[-1]
            print(f"n = {n}: (n-1)*2 - 2*1 + 4 = {(n - 1) * 2 - 2 + 4};  PyTorch: {out}")

        g = DCGANGenerator(z_dim=32, channels=32).eval()
        h = torch.randn(16, 32)
        for layer in [*g.project, *g.up]:
            with torch.no_grad():
                h = layer(h)
            if isinstance(layer, (nn.Unflatten, nn.ConvTranspose2d)):
                print(f"{type(layer).__name__:<16} → {tuple(h.shape)}")
        print(T("pixel range:", "像素范围："), f"[{float(h.min()):.2f}, {float(h.max()):.2f}]",
              T("| BCE with real digits now works:", "| 现在可以与真实数字计算 BCE："),
              f"{float(F.binary_cross_entropy(h, x_train[:16])):.3f}")
        """
    ),
    md(
        en=r"""
        ## The DCGAN, trained by the command line

        The discriminator mirrors the generator: two strided convolutions $28 \to 14 \to 7$ with LeakyReLU(0.2)
        and batch normalisation, then a linear layer to one logit. Training alternates one discriminator step on
        $-[\log D(x) + \log(1 - D(G(z)))]$ and one generator step on the **non-saturating** loss
        $-\log D(G(z))$ — the same `course_lib.models.gan.gan_train_step` as in chapter 2 — with Adam
        ($\text{lr} = 2 \cdot 10^{-4}$, $\beta_1 = 0.5$) as in the DCGAN paper.

        One addition guards against dropped digits: the discriminator judges samples **in packs of two**
        (PacGAN, {cite:t}`lin2018pacgan`), the two images stacked as channels with one logit per pack. A
        generator that draws the same digit again and again produces packs that look unlike real pairs, which
        the discriminator can notice. And the samples come from a **moving average of the generator's weights**
        (decay 0.998 per step, batch-norm statistics re-estimated for the averaged weights after each epoch):
        GAN training oscillates, the share of each digit drifting from epoch to epoch, and the average of the
        recent generators is steadier than the last one {cite:p}`yazici2019averaging`.

        The shipped checkpoint was made by the command in its model card, on the offline split, on a CPU. After
        each epoch the command line measured the Fréchet distance and class coverage of 1,000 samples (same
        protocol as above) and saved 16 samples from a fixed noise vector. So the claim "the samples get better
        with training" can be looked at *and* measured:
        """,
        zh=r"""
        ## 由命令行训练的 DCGAN

        判别器与生成器对称：两层带步长的卷积 $28 \to 14 \to 7$，配 LeakyReLU(0.2) 和批归一化，最后用线性层输出一个 logit。
        训练时交替进行：判别器在 $-[\log D(x) + \log(1 - D(G(z)))]$ 上走一步，生成器在**非饱和**损失 $-\log D(G(z))$ 上走一步——
        用的正是第 2 章的 `course_lib.models.gan.gan_train_step`——优化器按 DCGAN 论文的设置用 Adam（$\text{lr} = 2 \cdot 10^{-4}$，$\beta_1 = 0.5$）。

        另外加了一道防止漏掉数字的措施：判别器**两个一组**地评判样本（PacGAN，{cite:t}`zh-lin2018pacgan`），两张图作为两个通道叠在一起，
        每组输出一个 logit。如果生成器反复画同一个数字，它产生的“一对”就不像真实的一对，判别器能够察觉。
        此外，样本取自**生成器权重的滑动平均**（每步衰减系数 0.998，每一轮结束后为平均后的权重重新估计批归一化统计量）：
        GAN 的训练会振荡，各数字所占的比例随训练轮数漂移，而近期若干生成器的平均比最后一个更稳定 {cite:p}`zh-yazici2019averaging`。

        随书附带的检查点是在 CPU 上、用离线划分、按模型卡中记录的命令训练出来的。每一轮结束后，命令行都按上面的评测方案测量 1,000 个样本的
        弗雷歇距离和类别覆盖，并用一个固定的噪声向量保存 16 个样本。于是“训练越久样本越好”这句话既能看到，也能量出来：
        """,
    ),
    code(
        """
        dcgan, gan_card = load_dcgan()                    # course_lib/checkpoints/dcgan_offline
        print(T("trained by:", "训练命令："), gan_card["command"])
        print(T("epochs:", "轮数："), gan_card["epochs"], T("| device:", "| 设备："), course_lib.localise(gan_card["device"], T("en", "zh")),
              T("| config:", "| 配置："), gan_card["config"])
        hist = gan_card["history"]
        epochs_h = [h["epoch"] for h in hist]

        snap_epochs, snaps = load_snapshots()
        show_rows = [e for e in (1, 3, 5, 10, 20, 40, 80, 150) if e in snap_epochs.tolist()]
        rows = torch.cat([snaps[snap_epochs.tolist().index(e)][:10] for e in show_rows])
        show_images(rows, nrow=10, labels=None,
                    title=T("same noise, after epochs ", "同一噪声，训练轮数 ") + ", ".join(map(str, show_rows)))
        plt.show()

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax1.plot(epochs_h, [h["fd"] for h in hist], marker=".")
        ax1.axhline(floor, color="gray", ls="--", label=T("real-vs-real floor", "真实对真实下限"))
        ax1.set_yscale("log")
        ax1.set_xlabel(T("epoch", "轮数"))
        ax1.set_ylabel(T("Fréchet distance (log scale)", "弗雷歇距离（对数坐标）"))
        ax1.legend()
        ax2.plot(epochs_h, [h["kl_to_uniform"] for h in hist], marker=".", color="C1")
        ax2.set_yscale("log")
        ax2.set_xlabel(T("epoch", "轮数"))
        ax2.set_ylabel(T("KL(class histogram ‖ uniform), nats", "KL(类别直方图 ‖ 均匀)，奈特"))
        fig.suptitle(T("DCGAN quality during training (1,000 samples per epoch)", "DCGAN 训练过程中的质量（每轮 1,000 个样本）"))
        fig.tight_layout()
        plt.show()
        for e in show_rows:
            h = hist[epochs_h.index(e)]
            print(T(f"epoch {e:>2}: FD {h['fd']:8.1f}   KL {h['kl_to_uniform']:.3f}   digits present {h['classes_present']}",
                    f"第 {e:>3} 轮：FD {h['fd']:8.1f}   KL {h['kl_to_uniform']:.3f}   出现的数字 {h['classes_present']}"))
        """
    ),
    md(
        en=r"""
        The first rows show the generator's early attempts; the printed Fréchet distance and KL trace how they
        turned into digits. The curves are not smooth — GAN training is a game, not a descent on one loss — which
        is one more reason to measure the samples rather than watch the losses.

        ## The VAE, loaded and trained live

        The convolutional VAE of chapter 3 (`course_lib.models.vae.ConvVAE`: two strided convolutions down to a
        16-dimensional latent, two transposed convolutions back up, a Bernoulli likelihood on grey-level pixels)
        was trained by `python -m course_lib train vae`. Its model card stores the held-out negative ELBO after
        every epoch, which is a measured training curve for free. For a VAE we can also afford a short **live
        training run** here: a smaller VAE, two epochs, with the Fréchet distance of its samples after each.
        """,
        zh=r"""
        前几行是生成器早期的尝试；打印出的弗雷歇距离和 KL 记录了它们如何一步步变成数字。曲线并不平滑——GAN 的训练是一场博弈，
        不是在单个损失上的下降——这也是我们要测量样本、而不是盯着损失看的又一个理由。

        ## 变分自编码器：加载，并现场训练

        第 3 章的卷积 VAE（`course_lib.models.vae.ConvVAE`：两层带步长的卷积压缩到 16 维潜变量，再用两层转置卷积还原，
        像素灰度采用伯努利似然）由 `python -m course_lib train vae` 训练。它的模型卡保存了每一轮后留出集上的负 ELBO，
        这就白送了一条实测的训练曲线。VAE 训练得快，所以我们还可以在这里做一次简短的**现场训练**：一个更小的 VAE，训练两轮，
        每轮之后测量其样本的弗雷歇距离。
        """,
    ),
    code(
        """
        vae, vae_card = load_vae(shipped_checkpoint("conv_vae_offline"))
        print(T("trained by:", "训练命令："), vae_card["command"])
        ev = evaluate_vae(vae, x_held)
        print(T("held-out −ELBO:", "留出集 −ELBO："), f"{ev['neg_elbo']:.1f}",
              T("nats/image = reconstruction", "奈特/图像 = 重构"), f"{ev['recon']:.1f}", "+ KL", f"{ev['kl']:.1f}")

        curve = [r["eval_neg_elbo"] for r in vae_card["history"]]
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.plot(range(1, len(curve) + 1), curve, marker=".")
        ax.set_xlabel(T("epoch", "轮数"))
        ax.set_ylabel(T("held-out −ELBO (nats/image)", "留出集 −ELBO（奈特/图像）"))
        ax.set_title(T("the shipped VAE during training", "随书 VAE 的训练过程"))
        plt.show()
        """
    ),
    code(
        """
        torch.manual_seed(0)
        small = ConvVAE(z_dim=16, channels=8)
        for epoch in (1, 2):
            train_vae(small, x_train, epochs=epoch, start_epoch=epoch - 1, batch_size=128, lr=2e-3, device="cpu")
            samples = small.sample(1000, generator=torch.Generator().manual_seed(1))
            print(T(f"live VAE, epoch {epoch}", f"现场训练的 VAE，第 {epoch} 轮"),
                  T("| held-out −ELBO:", "| 留出集 −ELBO："), f"{evaluate_vae(small, x_held)['neg_elbo']:.1f}",
                  T("| FD of 1,000 samples:", "| 1,000 个样本的 FD："), f"{fd_to_train(samples):.1f}")
        """
    ),
    md(
        en=r"""
        ## GAN, VAE, diffusion and the floor in one table

        Now the comparison. For each model we draw 10,000 samples for the class histogram and 1,000 for the
        Fréchet distance (the same protocol as the floor). The table has a third model, the diffusion model of
        [chapter 7](07_diffusion.ipynb); it needs dozens of network evaluations per sample, too slow for 10,000
        on a CPU here, so its row uses for every column the 1,000 samples stored with its checkpoint. Two more
        columns describe *what the images look like*:

        * **mid-grey pixels**: the share of pixels strictly between 0.2 and 0.8. Real MNIST digits are nearly
          black-and-white, so a high share means blurry strokes;
        * **classifier confidence**: the classifier's mean top probability on the samples — high when samples are
          unambiguous digits, lower when they are smudges between two digits.
        """,
        zh=r"""
        ## 生成对抗网络、变分自编码器、扩散模型与下限：同一张表

        现在来比较。对每个模型，我们抽取 10,000 个样本统计类别直方图，抽取 1,000 个样本计算弗雷歇距离（与下限相同的评测方案）。
        表中还有第三个模型，即[第 7 章](07_diffusion.ipynb)的扩散模型；每生成一个样本都要运行几十次网络，在 CPU 上抽 10,000 个太慢，
        所以它那一行的每一列都用随检查点保存的 1,000 个样本。另外两列描述*图像看起来怎样*：

        * **中间灰度像素占比**：取值严格介于 0.2 与 0.8 之间的像素所占的比例。真实的 MNIST 数字几乎是非黑即白的，
          占比高意味着笔画模糊；
        * **分类器置信度**：分类器对样本给出的最大概率的平均值——样本是清楚无歧义的数字时它高，
          样本是介于两个数字之间的一团墨迹时它低。
        """,
    ),
    code(
        """
        def describe(images):
            '''The columns of the table for one set of images, each with a 95% bootstrap interval over the images.'''
            probs = predict_proba(classifier, images)
            labels = probs.argmax(1).numpy()
            counts = np.bincount(labels, minlength=10)
            grey = ((images > 0.2) & (images < 0.8)).double().mean((1, 2, 3)).numpy()
            return {
                "present": int((counts > 0).sum()),
                "kl": bootstrap_interval(labels, lambda l: kl_to_uniform(torch.from_numpy(np.bincount(l.astype(np.int64), minlength=10)))),
                "min_share": float(counts.min() / counts.sum()),
                "grey": bootstrap_interval(grey),
                "conf": bootstrap_interval(probs.max(1).values.double().numpy()),
            }

        g10k = torch.Generator().manual_seed(10)
        gan_10k = dcgan.sampling_generator.sample(10_000, g10k)
        vae_10k = vae.sample(10_000, generator=g10k)
        real_all, _ = load_offline_mnist("all")
        # en: the diffusion model (chapter 7) samples too slowly on a CPU for 10,000 here: its row uses the 1,000
        # en: samples stored with its checkpoint (DDIM, 50 steps) for every column, and its FD is read from its card
        # zh: 扩散模型（第 7 章）在 CPU 上采样太慢，这里抽不了 10,000 个：它这一行的每一列都用随检查点保存的
        # zh: 1,000 个样本（DDIM，50 步），FD 则从它的模型卡读出
        diffusion_1k = load_samples()
        diffusion_card = read_card(shipped_checkpoint("diffusion_offline"))
        d50 = sampling_row(diffusion_card, "ddim", steps=50)
        # en: every model's FD comes from one function, checkpoint_fd: 3 draws of 1,000 samples (chapter 7 prints the same numbers)
        # zh: 每个模型的 FD 都出自同一个函数 checkpoint_fd：3 次各抽 1,000 个样本（第 7 章打印的是同样的数）
        fd = {
            "DCGAN": checkpoint_fd(shipped_checkpoint("dcgan_offline"), reference=fd_to_train)[0],
            "VAE": checkpoint_fd(shipped_checkpoint("conv_vae_offline"), reference=fd_to_train)[0],
            T("diffusion", "扩散模型"): row_interval(d50, "fd"),
        }
        table = {
            "DCGAN": describe(gan_10k),
            "VAE": describe(vae_10k),
            T("diffusion", "扩散模型"): describe(diffusion_1k),
            T("real (floor)", "真实（下限）"): describe(real_all),
        }
        for name in table:
            table[name]["fd"] = fd[name] if name in fd else Interval(floor, floor, floor, 0.95, "one set", len(x_held))
        print(f"{'':<13}{'FD [95%]':>20}{pad(T('digits', '数字数'), 7)}{'KL [95%]':>22}{pad(T('rarest', '最少类'), 7)}"
              f"{pad(T('mid-grey [95%]', '中间灰 [95%]'), 21)}{pad(T('conf. [95%]', '置信度 [95%]'), 21)}")
        for name, r in table.items():
            fd_text = r["fd"].format(1) if r["fd"].high > r["fd"].low else f"{r['fd'].estimate:.1f}"
            print(f"{pad(name, 13, '<')}{fd_text:>20}{r['present']:>7}{r['kl'].format(3):>22}{r['min_share']:>7.3f}"
                  f"{r['grey'].format(3):>21}{r['conf'].format(3):>21}")
        print(T("(FD: 3 draws of 1,000 images vs 4,000 training digits, interval over the draws; the real row: the 1,000 held-out digits.",
                "（FD：3 次各抽 1,000 张图像，对比 4,000 张训练数字，区间取自 3 次之间的差异；真实一行：1,000 张留出数字。"))
        print(T(" Other columns: 10,000 samples, except the diffusion row's 1,000 stored ones; the real row uses all 5,000 offline digits)",
                "其余各列：10,000 个样本，扩散模型除外，它用的是随检查点保存的 1,000 个；真实一行用的是全部 5,000 张离线数字）"))
        print(T("diffusion model: trained", "扩散模型：训练"), f"{diffusion_card['wall_time_s'] / 60:.0f}",
              T("min on one CPU thread | sampling", "分钟（单个 CPU 线程）| 采样每张"),
              f"{d50['seconds_per_image']:.3f}", T("s per image (DDIM, 50 steps) | likelihood bound", "秒（DDIM，50 步）| 似然下界"),
              f"{diffusion_card['study']['likelihood']['bits_per_dim']:.2f}", T("bits/dim (chapter 7)", "比特/维（第 7 章）"))

        fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
        real_36 = x_held[torch.randperm(len(x_held), generator=torch.Generator().manual_seed(0))]
        for ax, (name, imgs) in zip(axes, [("DCGAN", gan_10k), ("VAE", vae_10k), (T("diffusion", "扩散模型"), diffusion_1k),
                                           (T("real (held-out)", "真实（留出）"), real_36)]):
            show_images(imgs[:36], nrow=6, ax=ax, title=name)
        fig.tight_layout()
        plt.show()
        """
    ),
    code(
        """
        real = table[T("real (floor)", "真实（下限）")]
        # en: the three models: DCGAN, VAE, diffusion
        # zh: 三个模型：DCGAN、VAE、扩散模型
        models = {name: r for name, r in table.items() if r is not real}

        def leader(key, higher_is_better):
            '''The best model on one column, named only if its interval separates from the runner-up's.'''
            ranked = sorted(models, key=lambda m: models[m][key].estimate, reverse=higher_is_better)
            v = verdict(models[ranked[0]][key], models[ranked[1]][key], names=(ranked[0], ranked[1]), higher_is_better=higher_is_better)
            return v.winner if v.decided else T(f"no difference at this budget between {ranked[0]} and {ranked[1]}",
                                                f"在这个预算下看不出差别（{ranked[0]}、{ranked[1]}）")

        like_real = [m for m in models if models[m]["grey"].overlaps(real["grey"])]
        blurrier = [m for m in models if models[m]["grey"].low > real["grey"].high]
        sharper = [m for m in models if models[m]["grey"].high < real["grey"].low]
        print(T("mid-grey share (sharpness) like real digits:", "中间灰度占比（清晰度）与真实数字相当："), T(", ", "、").join(like_real) or T("none", "无"),
              T("| blurrier:", "| 更模糊："), T(", ", "、").join(blurrier) or T("none", "无"),
              T("| fewer grey pixels than real digits:", "| 灰色像素比真实数字还少："), T(", ", "、").join(sharper) or T("none", "无"))
        print(T("highest classifier confidence:", "分类器置信度最高："), leader("conf", True))
        print(T("most even class histogram (lowest KL):", "类别直方图最均衡（KL 最低）："), leader("kl", False))
        print(T("lowest Fréchet distance:", "弗雷歇距离最低："), leader("fd", False),
              T("| times the floor:", "| 是下限的倍数："), " / ".join(f"{m} {models[m]['fd'].estimate / floor:.0f}" for m in models))
        """
    ),
    md(
        en=r"""
        ### What each model does better

        Read the table column by column rather than looking for a single winner.

        * **Sharpness.** Compare the *mid-grey* column with the real row. A VAE's sample is the mean of a
          Bernoulli distribution per pixel, $\sigma(\text{decoder}(z))$: where the decoder is unsure whether a
          pixel is ink, it outputs a grey level, so VAE samples are smooth and blurry. The GAN's generator is
          trained to fool a discriminator that sees blur at once, so its strokes are crisp. The diffusion model
          returns neither a mean nor one pass of a generator: its last step lands on its own prediction of the
          clean image, so its sharpness depends on how well the network has learned the small-noise end of the
          chain. The *confidence* column tells the same story from the classifier's point of view.
        * **Coverage.** Compare the *KL* and *rarest* columns. By construction the VAE should not drop a digit:
          its reconstruction term punishes every training digit it cannot encode. The GAN has no such term — it
          only has to fool the discriminator — so under-producing a digit costs it nothing directly; packing and
          the weight average push against it. The diffusion model, like the VAE, is trained on every training
          digit (a regression on the noise added to each), so nothing in its loss rewards dropping one. The
          offline checkpoints need not bear the argument out: the verdict cell above says which model is the
          most even. Part of the VAE's imbalance is measured *through* its blur — a
          smudge that the classifier cannot place (low confidence) still gets a label, and not a uniformly random
          one. The full-MNIST table at the end of the chapter, with a VAE trained on 15 times more digits, is the
          other half of the evidence: compare its KL rows.
        * **The Fréchet distance** combines both: it rewards realistic features *and* the right spread of them.
          How far each model sits above the real-vs-real floor says how much is left to gain.
        * **Likelihood.** The VAE has a bound: its negative ELBO (printed above) is an upper bound on
          $-\log p(x)$ for held-out digits. So does the diffusion model (the line under the table), but on the 256
          grey levels, so the two are not comparable numbers (chapter 7 explains why). A GAN defines no density,
          so the question "how probable is this digit under the GAN?" has no answer — which is exactly why all
          three are judged here by the same sample-based instrument.
        * **Cost.** The diffusion model (chapter 7) is the third way: no discriminator, no encoder, a regression
          on the noise. Its row shows what the small network of chapter 7, trained on one CPU thread for the time
          printed under the table, reaches on the same ruler; the same line gives its price — many network
          evaluations per sample, where the DCGAN and the VAE need one.
        """,
        zh=r"""
        ### 三个模型各自擅长什么

        请逐列阅读这张表，而不是急着找出唯一的赢家。

        * **清晰度。** 把*中间灰度*一列与真实一行对比。VAE 的样本是每个像素伯努利分布的均值 $\sigma(\text{decoder}(z))$：
          解码器拿不准某个像素是不是墨迹时，就输出灰色，所以 VAE 的样本平滑而模糊。GAN 的生成器的训练目标则是骗过判别器，
          而判别器一眼就能看出模糊，所以它的笔画清晰锐利。扩散模型给出的既不是均值，也不是生成器的一次前向计算：它的最后一步落在它自己对干净图像的预测上，
          所以它的清晰度取决于网络把链上小噪声那一端学得有多好。*置信度*一列从分类器的角度讲述了同一件事。
        * **覆盖。** 对比 *KL* 和*最少类*两列。按其构造，VAE 不应丢掉某个数字：它的重构项会惩罚每一张编码不了的训练数字。
          GAN 没有这样的项——它只需骗过判别器——所以少画某个数字并不会直接受罚；打包判别和权重平均则在与这种倾向对抗。
          扩散模型和 VAE 一样，在每一张训练数字上训练（对加到每张数字上的噪声做回归），所以它的损失里没有任何东西鼓励它丢掉某个数字。
          不过随书的离线检查点未必能印证这一推理：上面的结论单元格给出了哪个模型最均衡。VAE 的不均衡有一部分是*透过*模糊测出来的——
          分类器拿不准的一团墨迹（置信度低）照样会得到某个标签，而且并不是均匀随机的标签。本章末尾完整 MNIST 的结果表是另一半证据：
          那里的 VAE 见过的数字是这里的 15 倍，请比较表中各行的 KL。
        * **弗雷歇距离**把两者结合起来：既奖励逼真的特征，也奖励特征的正确分布。每个模型高出“真实对真实”下限多少，
          就说明还有多大的改进空间。
        * **似然。** VAE 有一个界：它的负 ELBO（上文已打印）是留出数字 $-\log p(x)$ 的上界。扩散模型也有（见表下的一行），
          但它针对的是 256 个灰度级，所以两个数不可比（原因见第 7 章）。GAN 不定义密度，“这个数字在 GAN 之下的概率有多大”这一问题无从回答——
          这正是本章用同一件基于样本的工具来评判这三个模型的原因。
        * **代价。** 扩散模型（第 7 章）是第三条路：没有判别器，没有编码器，只是对噪声做回归。它那一行给出第 7 章的小网络在单个 CPU 线程上
          训练了表下所印的时间之后，在同一把标尺上达到的水平；同一行也给出它的代价——每个样本要运行很多次网络，而 DCGAN 和 VAE 只需一次。
        """,
    ),
    md(
        en=r"""
        ### The same ruler, a bigger budget

        The models in the table were trained on 4,000 digits for minutes of CPU time. The diffusion model at the
        top of [chapter 7](07_diffusion.ipynb) is the same network, trained by the same command with `--data full`
        on all 60,000 training digits of full MNIST (its card says for how long, and on what). Its 1,000 stored
        samples (DDIM, 50 steps, the first draw of its own sampler) are measured below with the same columns, beside
        the diffusion row of the table. Its Fréchet distance was measured by `python -m course_lib audit` with this
        chapter's protocol — three draws of 1,000 samples against the 4,000 offline training digits, the function
        that gave the table's distances — and is read from its card. One caution: the offline digits are MNIST
        training digits, so this model has seen every one of them. The ruler is the same; the real row is a floor
        for the models trained on the offline split only.

        The VAE at the top of [chapter 3](03_vae.ipynb) is a bigger step in every direction: a deeper network
        (`DeepConvVAE`, 1.7 million parameters against the table's 0.2 million), trained on all 60,000 digits, and
        sampled from a mixture fitted to its codes after training (chapter 3, section 3.9). Its row holds 10,000
        fresh samples, like the table's VAE row, and its distance comes from its card's audit in the same way.
        So do the rows of the DCGAN at the top of [chapter 2](02_gan.ipynb): the table's DCGAN made twice as wide,
        with a deeper generator, trained on all 60,000 digits.
        """,
        zh=r"""
        ### 同一把标尺，更大的预算

        表中的模型都只在 4,000 张数字上训练了几分钟 CPU 时间。[第 7 章](07_diffusion.ipynb)开头的扩散模型是同一个网络，用同一条命令加上
        `--data full`，在完整 MNIST 的全部 60,000 张训练数字上训练而成（训练了多久、在什么机器上，都记在它的模型卡里）。
        下面用同样的几列来测量随它保存的 1,000 个样本（DDIM 50 步，即它自己的采样器抽出的第一组），并与表中扩散模型那一行并列。
        它的弗雷歇距离由 `python -m course_lib audit` 按本章的评测方案测得——3 次各抽 1,000 个样本，对比 4,000 张离线训练数字，
        与表中各距离出自同一个函数——这里从模型卡读出。有一点要当心：离线数字本身就是 MNIST 的训练数字，所以这个模型见过其中的每一张。
        标尺没有变；但真实一行只是只在离线划分上训练的那几个模型的下限。

        [第 3 章](03_vae.ipynb)开头的 VAE 则是在各个方面都更进一步：网络更深（`DeepConvVAE`，170 万个参数，表中的 VAE 只有 20 万个），
        在全部 60,000 张数字上训练，并且从训练后拟合其编码的混合分布中采样（第 3 章第 3.9 节）。它这一行和表中 VAE 那一行一样，
        用 10,000 个新抽的样本；它的距离同样读自模型卡里的审计结果。[第 2 章](02_gan.ipynb)开头的 DCGAN 也是如此：
        把表中的 DCGAN 加宽一倍、生成器加深，在全部 60,000 张数字上训练而成。
        """,
    ),
    code(
        """
        from course_lib.responsible.audit_images import training_examples


        def audited_fd(card):
            a = card["audit"]["frechet_distance"]
            return Interval(a["value"], a["low"], a["high"], a["level"], "seeds-t", len(a["draws"]))


        showcase_path = shipped_checkpoint("diffusion_full")
        showcase_card = read_card(showcase_path)
        showcase_samples = load_samples(showcase_path)
        showcase = describe(showcase_samples)
        showcase["fd"] = audited_fd(showcase_card)
        # en: chapter 3's showcase VAE: a deeper network, sampled from the prior fitted to its codes (chapter 3, section 3.9)
        # zh: 第 3 章的展示用 VAE：更深的网络，从拟合其编码的先验中采样（第 3 章第 3.9 节）
        vae_full, vae_full_card = load_vae(shipped_checkpoint("deep_conv_vae_full"))
        vae_full_10k = vae_full.sample(10_000, generator=torch.Generator().manual_seed(10))
        vae_showcase = describe(vae_full_10k)
        vae_showcase["fd"] = audited_fd(vae_full_card)
        # en: chapter 2's showcase DCGAN: twice the width and a deeper generator
        # zh: 第 2 章的展示用 DCGAN：宽一倍，生成器更深
        gan_full, gan_full_card = load_dcgan(shipped_checkpoint("dcgan_full_deep"))
        gan_full_10k = gan_full.sample(10_000, generator=torch.Generator().manual_seed(10))
        gan_showcase = describe(gan_full_10k)
        gan_showcase["fd"] = audited_fd(gan_full_card)
        small, big = T("4,000 digits", "4,000 张"), T("60,000 digits", "60,000 张")
        pairs = {
            T("diffusion", "扩散模型"): ((table[T("diffusion", "扩散模型")], diffusion_card, diffusion_1k), (showcase, showcase_card, showcase_samples)),
            "VAE": ((table["VAE"], read_card(shipped_checkpoint("conv_vae_offline")), vae_10k), (vae_showcase, vae_full_card, vae_full_10k)),
            "DCGAN": ((table["DCGAN"], read_card(shipped_checkpoint("dcgan_offline")), gan_10k), (gan_showcase, gan_full_card, gan_full_10k)),
        }
        print(f"{'':<26}{'FD [95%]':>20}{pad(T('digits', '数字数'), 7)}{'KL [95%]':>22}{pad(T('rarest', '最少类'), 7)}"
              f"{pad(T('mid-grey [95%]', '中间灰 [95%]'), 21)}{pad(T('conf. [95%]', '置信度 [95%]'), 21)}")
        for family, runs in pairs.items():
            for size, (r, card, _) in zip((small, big), runs):
                print(f"{pad(family + T(', ', '，') + size, 26, '<')}{r['fd'].format(1):>20}{r['present']:>7}{r['kl'].format(3):>22}{r['min_share']:>7.3f}"
                      f"{r['grey'].format(3):>21}{r['conf'].format(3):>21}")
        for family, runs in pairs.items():
            for size, (_, card, _) in zip((small, big), runs):
                budget = T(f"{card['parameters']:,} parameters, {card['epochs']} epochs", f"{card['parameters']:,} 个参数，{card['epochs']} 轮")
                if family != "VAE":
                    # en: every epoch of the diffusion model and of the DCGAN takes full minibatches only
                    # zh: 扩散模型和 DCGAN 的每一轮都只取完整的小批量
                    steps = card["epochs"] * (training_examples(card) // card["batch_size"])
                    budget += T(f", {steps:,} optimiser steps", f"，{steps:,} 个优化步")
                print(f"{pad(family + T(', ', '，') + size, 26, '<')}" + budget + T(f", {card['wall_time_s'] / 60:.0f} min on {card['device']}",
                                                                                f"，{card['wall_time_s'] / 60:.0f} 分钟，机器：{course_lib.localise(card['device'], 'zh')}"))
        for family, ((offline, _, _), (full, _, _)) in pairs.items():
            for key, label, higher in (("fd", T("lower Fréchet distance:", "弗雷歇距离更低："), False),
                                       ("conf", T("higher classifier confidence:", "分类器置信度更高："), True),
                                       ("kl", T("more even class histogram (lower KL):", "类别直方图更均衡（KL 更低）："), False)):
                v = verdict(full[key], offline[key], names=(big, small), higher_is_better=higher)
                print(f"{family}{T(': ', '：')}{label}", v.winner if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))

        # en: one column per family: 4,000 digits above, 60,000 below; real held-out digits on the right
        # zh: 每个模型家族一列：上面 4,000 张，下面 60,000 张；最右边是真实的留出数字
        fig, axes = plt.subplots(2, 4, figsize=(12.5, 6.8))
        for col, (family, runs) in enumerate(pairs.items()):
            for row, (size, (_, _, imgs)) in enumerate(zip((small, big), runs)):
                show_images(imgs[:36], nrow=6, ax=axes[row, col], title=family + T(", ", "，") + size)
        show_images(real_36[:36], nrow=6, ax=axes[0, 3], title=T("real (held-out)", "真实（留出）"))
        axes[1, 3].set_axis_off()
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        On this ruler the two diffusion rows cannot be told apart: the verdict lines find no difference in
        distance, in confidence or in evenness. The pictures agree almost image by image, which is no accident:
        both networks started from the same initial weights (seed 0), both samples start from the same noise, and
        DDIM is deterministic, so the two networks map the same noise to nearly the same digit. The lines above
        the verdicts give two reasons for the tie. The budget is about the same number of optimiser steps, on the same kind of CPU thread: fifteen
        times more digits, not more training. And these are unconditional samples, drawn by the part of the
        network that learned from the fifth of each minibatch whose labels were dropped (chapter 7, section 7.6),
        the weak side of both models. The ruler's reference, the 4,000 offline training digits, is also the small
        model's own training set. The likely reading: more data pays when the training grows with it. Diffusion
        models are usually trained for hundreds of thousands of steps (chapter 7), and after fewer than ten thousand
        this small network has not yet learned what the extra digits could teach it. A larger budget is a job
        for the GPU commands below.

        The two VAE rows are the opposite case: there the budget grew in data, in the network (the lines above
        give both models' parameters and minutes) and in the prior at once, and the verdict lines say on which
        columns the 60,000-digit model wins. This comparison cannot say which of the three bought how much.
        Chapter 3 separates one of them: at the top of that chapter the same decoder is sampled from
        $\mathcal N(0, I)$ and from the fitted mixture, and section 3.9 shows why the prior alone moves the
        samples so far.

        The DCGAN rows changed data and network, not the sampler: the 60,000-digit generator draws $z$ from
        $\mathcal N(0, I)$ like the table's. The verdict lines say where the bigger budget shows on this ruler;
        the top of chapter 2 shows the run's curve, epoch by epoch, and how far it still is from the bar the book
        sets for a showcase GAN.
        """,
        zh=r"""
        在这把标尺上，两行扩散模型分不出高下：几行结论在距离、置信度和均衡程度上都看不出差别。两幅图几乎一张对一张地相像，这并非巧合：
        两个网络从同样的初始权重（种子 0）开始训练，两组样本从同样的噪声出发，而 DDIM 是确定性的，所以两个网络把同一份噪声映射成几乎相同的数字。
        结论上方的几行给出了打成平手的两个原因。
        预算的优化步数大致相同，用的也是同样的 CPU 单线程：数据多了十五倍，训练却没有更多。而且这些是无条件样本，出自网络中只从每个小批量里
        被丢掉标签的那五分之一学习的部分（第 7 章第 7.6 节），这正是两个模型共同的短处。这把标尺的参照——4,000 张离线训练数字——
        恰好也是小模型自己的训练集。比较可能的解释是：数据多了，训练也要跟着加，才见得到回报。扩散模型通常要训练几十万步（第 7 章），
        而这个小网络训练了还不到一万步，还没有学到多出来的那些数字能教给它的东西。更大的预算，就交给下面那些在 GPU 上运行的命令吧。

        两行 VAE 则是相反的情形：那里的预算在数据、网络（上面几行给出了两个模型的参数数和训练分钟数）和先验三方面同时变大，
        结论几行给出 60,000 张数字的模型在哪几列上胜出。这组比较说不清三者各自贡献了多少。第 3 章把其中一项单独拿了出来：
        那一章开头用同一个解码器分别从 $\mathcal N(0, I)$ 和拟合的混合分布中采样，第 3.9 节则说明为什么单凭先验就能让样本变化这么大。

        两行 DCGAN 变的是数据和网络，不是采样方式：60,000 张数字训练出的生成器和表中那个一样，$z$ 取自 $\mathcal N(0, I)$。
        结论几行给出更大的预算在这把标尺上体现在哪里；第 2 章开头则给出这次训练逐轮的曲线，以及它离本书给展示用 GAN 定的标准还有多远。
        """,
    ),
    md(
        en=r"""
        ## Training the full models on a GPU

        Every model here is trained by one command, on the offline split by default or on full MNIST with
        `--data full` (60,000 / 10,000 digits, downloaded once into `$COURSE_LIB_DATA/mnist` and checked
        against their SHA-256). On a machine with an NVIDIA GPU, `--device auto` picks it; the data then lives
        on the GPU as one tensor, the forward passes run in bfloat16 autocast, and `--compile` adds
        `torch.compile`:

        ```bash
        # the evaluator first: the generators' quality curves are measured with it
        python -m course_lib train classifier --data full --epochs 6 --out runs
        python -m course_lib train dcgan      --data full --epochs 20 --evaluator runs/classifier_full --out runs --compile
        python -m course_lib train dcgan      --data full --epochs 20 --channels 64 --d-channels 64 --deep-generator \
                                              --evaluator course_lib/checkpoints/classifier_offline --name dcgan_full_deep --out runs --compile  # chapter 2's showcase
        python -m course_lib train vae        --data full --epochs 10 --name conv_vae_full --out runs --compile
        python -m course_lib train vae        --data full --epochs 10 --arch deepconv --lr 2e-3 --lr-schedule cosine \
                                              --prior-components 50 --name deep_conv_vae_full --out runs --compile
        python -m course_lib train diffusion  --data full --epochs 20 --out runs --compile          # chapter 7

        python -m course_lib evaluate runs/dcgan_full --evaluator runs/classifier_full    # FD, coverage, floor
        python -m course_lib evaluate runs/conv_vae_full --evaluator runs/classifier_full
        python -m course_lib sample runs/dcgan_full -n 64 -o dcgan_full.png               # a PNG grid
        ```

        Each run writes `NAME.safetensors` (weights, loaded without unpickling anything), `NAME.json` (the model
        card: data, seed, epochs, wall time, device, library versions, metrics, the command itself) and
        `NAME.state.pt` (optimiser state, loaded with `weights_only=True`); an interrupted run continues with
        `--resume`. The commands that made this book's checkpoints, and the full-MNIST results measured with
        them, are in `course_lib/studies/bench.json`:
        """,
        zh=r"""
        ## 在 GPU 上训练完整模型

        这里的每个模型都由一条命令训练：默认使用离线划分，加上 `--data full` 则使用完整 MNIST（60,000 / 10,000 张，
        只下载一次，存入 `$COURSE_LIB_DATA/mnist` 并校验 SHA-256）。在装有 NVIDIA GPU 的机器上，`--device auto` 会自动选中它；
        此时数据作为一个张量留在 GPU 上，前向计算在 bfloat16 自动混合精度下进行，加上 `--compile` 还会启用 `torch.compile`：

        ```bash
        # 先训练评估器：生成器的质量曲线要用它来测
        python -m course_lib train classifier --data full --epochs 6 --out runs
        python -m course_lib train dcgan      --data full --epochs 20 --evaluator runs/classifier_full --out runs --compile
        python -m course_lib train dcgan      --data full --epochs 20 --channels 64 --d-channels 64 --deep-generator \
                                              --evaluator course_lib/checkpoints/classifier_offline --name dcgan_full_deep --out runs --compile  # 第 2 章的展示模型
        python -m course_lib train vae        --data full --epochs 10 --name conv_vae_full --out runs --compile
        python -m course_lib train vae        --data full --epochs 10 --arch deepconv --lr 2e-3 --lr-schedule cosine \
                                              --prior-components 50 --name deep_conv_vae_full --out runs --compile
        python -m course_lib train diffusion  --data full --epochs 20 --out runs --compile          # 第 7 章

        python -m course_lib evaluate runs/dcgan_full --evaluator runs/classifier_full    # FD、覆盖、下限
        python -m course_lib evaluate runs/conv_vae_full --evaluator runs/classifier_full
        python -m course_lib sample runs/dcgan_full -n 64 -o dcgan_full.png               # PNG 网格图
        ```

        每次运行写出 `NAME.safetensors`（权重，加载时不反序列化任何对象）、`NAME.json`（模型卡：数据、随机种子、轮数、耗时、设备、
        库版本、指标以及命令本身）和 `NAME.state.pt`（优化器状态，用 `weights_only=True` 加载）；中断的运行可以用 `--resume` 继续。
        制作本书检查点的命令，以及用这些命令在完整 MNIST 上测得的结果，都记录在 `course_lib/studies/bench.json` 中：
        """,
    ),
    code(
        """
        import re

        # en: the rows' labels are English in bench.json; the Chinese edition translates them phrase by phrase
        # zh: bench.json 中各行的说明是英文的，中文版逐个短语翻译
        phrases = (
            ("evaluator accuracy, test set (10,000)", "评估器在测试集上的准确率（10,000 张）"),
            ("deep conv VAE", "深层卷积 VAE"), ("conv VAE", "卷积 VAE"), ("Fréchet distance", "弗雷歇距离"),
            (" (10,000 vs 60,000 train)", "（10,000 个样本对 60,000 张训练图像）"),
            ("KL(classes ‖ uniform), 10,000 samples", "KL(类别 ‖ 均匀)，10,000 个样本"), ("digits present", "出现的数字"),
            ("test −ELBO, 10 epochs (nats/image)", "测试集 −ELBO，10 轮（奈特/图像）"),
            ("test −IWAE bound, k=50 (nats/image)", "测试集 −IWAE 界，k=50（奈特/图像）"),
            ("real-vs-real floor", "真实对真实下限"))
        # en: labels that carry numbers
        # zh: 带数字的说明
        patterns = (
            (r"diffusion \\(DDIM, (\\d+) steps\\) ?", r"扩散模型（DDIM，\\1 步）"),
            (r"test bound, ([\\d,]+) digits \\(bits/dim, 256 levels\\)", r"测试集下界，\\1 个数字（比特/维，256 个灰度级）"),
            (r"training time, (\\d+) epochs on cpu \\((\\d+) threads\\) \\(minutes\\)", r"训练时间，\\1 轮，\\2 个 CPU 线程（分钟）"))
        labels = []
        for row in bench["full_mnist"]:
            label = row["what"]
            if T("en", "zh") == "zh":
                for en, zh in patterns:
                    label = re.sub(en, zh, label)
                for en, zh in phrases:
                    label = label.replace(en, zh)
            labels.append(label)
        width = max(map(len, labels))
        for row, label in zip(bench["full_mnist"], labels):
            print(T(f"{label:<{width}} {row['value']:>13}", f"{row['value']:>13}   {label}"))
        print(T("made by:", "训练命令："))
        for command in dict.fromkeys(row["command"] for row in bench["full_mnist"]):
            # en: the floor row has no training command
            # zh: 下限那一行没有训练命令
            if command.startswith("python"):
                print("   ", command)
        """
    ),
    md(
        en=r"""
        ### A stronger VAE for full MNIST

        The small `ConvVAE` of this chapter, trained for 10 epochs on full MNIST, stays just above 100 nats per
        test image (the rows above). Its weak point is the decoder: a single linear map from $z$ to the
        $64 \times 7 \times 7$ feature map, and a last transposed convolution that turns 32 channels at
        $14 \times 14$ into the $28 \times 28$ logits in one step. `course_lib.models.vae.DeepConvVAE` keeps the same
        two strided convolutions in the encoder and adds, on both sides of the latent, a fully connected layer of
        256 units (so that the map from $z$ to the image is non-linear before any convolution), and at the end of
        the decoder a transposed convolution that keeps 32 channels at $28 \times 28$, followed by a $3 \times 3$
        convolution to the logits. The likelihood (Bernoulli on grey levels), the 10 epochs and the batch size
        are those of the small model; its learning rate warms up over the first 10 % of the steps and then decays
        to zero along a cosine (`--lr-schedule cosine`), so that the last of the 10 epochs are spent settling
        rather than jumping around. Both training curves were recorded in the model cards:
        """,
        zh=r"""
        ### 为完整 MNIST 准备一个更强的 VAE

        本章那个小小的 `ConvVAE` 在完整 MNIST 上训练 10 轮后，每张测试图像的负 ELBO 仍略高于 100 奈特（见上面几行）。
        它的短板在解码器：从 $z$ 到 $64 \times 7 \times 7$ 特征图只有一次线性映射，最后一层转置卷积又要一步就把 $14 \times 14$
        上的 32 个通道变成 $28 \times 28$ 的 logits。`course_lib.models.vae.DeepConvVAE` 保留编码器中同样的两层带步长卷积，
        并在潜变量两侧各加一层 256 个单元的全连接层（这样从 $z$ 到图像的映射在进入卷积之前就已经是非线性的）；
        在解码器末尾，先用一层转置卷积在 $28 \times 28$ 上保留 32 个通道，再用一个 $3 \times 3$ 卷积输出 logits。
        似然（灰度像素上的伯努利分布）、10 轮的轮数和批大小都与小模型相同；学习率在前 10% 的步数内线性预热，
        随后沿余弦曲线衰减到零（`--lr-schedule cosine`），让 10 轮中的最后几轮用来“安顿下来”，而不是来回跳动。
        两条训练曲线都记录在模型卡里：
        """,
    ),
    code(
        """
        from course_lib.models.vae import DeepConvVAE

        full = {row["what"]: row["value"] for row in bench["full_mnist"]}
        curves = bench["full_mnist_vae_curves"]
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        elbo, iwae = {}, {}
        shown = {"conv VAE": T("conv VAE", "卷积 VAE"), "deep conv VAE": T("deep conv VAE", "深层卷积 VAE")}
        for name, model in (("conv VAE", ConvVAE()), ("deep conv VAE", DeepConvVAE())):
            elbo[name] = float(full[f"{name} test −ELBO, 10 epochs (nats/image)"])
            iwae[name] = float(full[f"{name} test −IWAE bound, k=50 (nats/image)"])
            n_params = sum(p.numel() for p in model.parameters())
            print(f"{pad(shown[name], 14, '<')} {n_params / 1e6:.2f}M " + T("parameters", "个参数") + f" | {T('test −ELBO', '测试集 −ELBO')} {elbo[name]:.2f}"
                  f" | −IWAE (k=50) {iwae[name]:.2f} | " + T("below 100 nats:", "低于 100 奈特：") + f" {elbo[name] < 100}")
            ax.plot(range(1, len(curves[name]) + 1), curves[name], marker=".", label=shown[name])
        print(T("a better model, conv VAE → deep conv VAE (−ELBO):", "更好的模型，卷积 VAE → 深层卷积 VAE（−ELBO）："),
              f"{elbo['conv VAE'] - elbo['deep conv VAE']:.2f}", T("nats", "奈特"))
        print(T("a tighter bound on the same model, conv VAE −ELBO → −IWAE:", "同一模型上更紧的界，卷积 VAE 的 −ELBO → −IWAE："),
              f"{elbo['conv VAE'] - iwae['conv VAE']:.2f}", T("nats", "奈特"))
        ax.axhline(100, color="grey", linestyle="--", linewidth=1, label=T("100 nats", "100 奈特"))
        ax.set_ylim(94, 125)
        ax.set_xlabel(T("epoch", "轮数"))
        ax.set_ylabel(T("test −ELBO (nats/image)", "测试集 −ELBO（奈特/图像）"))
        ax.set_title(T("full MNIST, 10 epochs, Bernoulli likelihood", "完整 MNIST，10 轮，伯努利似然"))
        ax.legend()
        plt.show()
        """
    ),
    md(
        en=r"""
        For scale: pytorch/examples' MLP VAE, trained for 10 epochs under the same likelihood, ends at a test
        loss of about 106 nats per image (chapter 3). The last two lines compare two ways of getting closer to
        $-\log p(x)$: a better model, whose −ELBO itself is lower, and a tighter bound on the same model (the
        IWAE bound of chapter 3, which only measures the small VAE more accurately). Only the first changes the
        samples — the Fréchet distances in the table above say by how much.
        """,
        zh=r"""
        作为参照：pytorch/examples 的 MLP VAE 在同样的似然下训练 10 轮，测试损失约为每张图像 106 奈特（见第 3 章）。
        最后两行比较了逼近 $-\log p(x)$ 的两条路：换一个更好的模型，让 −ELBO 本身降下来；或者在同一个模型上换一个更紧的界
        （第 3 章的 IWAE 界，它只是把小 VAE 量得更准）。只有前一条路会改变样本——上表中的弗雷歇距离告诉我们改变了多少。
        """,
    ),
    md(
        en=r"""
        ## Exercises

        1. **How many samples does a Fréchet distance need?** Compute the real-vs-real floor with 100, 300 and
           1,000 held-out digits (against the same 4,000 training digits). How does it change, and why must a
           generator be compared with the floor *at the same sample size*?
        2. **A coverage detective.** Which digit does the shipped DCGAN draw least often? Show 20 of its samples
           that the classifier labels as that digit. Are they good digits?
        3. **Sharpen the VAE?** Show the VAE's samples as *binary* images (draw each pixel from its Bernoulli
           distribution instead of showing the mean). What happens to the mid-grey share, and to the Fréchet
           distance?
        """,
        zh=r"""
        ## 练习

        1. **弗雷歇距离需要多少样本？** 分别用 100、300、1,000 张留出数字（对比同样的 4,000 张训练数字）计算“真实对真实”下限。
           它如何变化？为什么必须在*相同的样本量*下把生成器与下限比较？
        2. **覆盖侦探。** 随书的 DCGAN 最少画出的是哪个数字？展示 20 个被分类器判为该数字的样本。它们是好的数字吗？
        3. **让 VAE 变清晰？** 把 VAE 的样本显示为*二值*图像（按每个像素的伯努利分布抽样，而不是显示均值）。
           中间灰度像素的占比和弗雷歇距离会怎样变化？
        """,
    ),
    solution(
        1,
        en="",
        zh="",
        code=r"""
        for n in (100, 300, 1000):
            print(n, round(fd_to_train(x_held[torch.randperm(1000)[:n]]), 1))
        """,
        en_after=r"""
        The floor grows as the sample shrinks: a covariance estimated from few samples is noisy, and the
        Fréchet distance of an estimate is biased upwards. A model evaluated on fewer samples than the floor
        would look worse than it is; one evaluated on more would look better.
        """,
        zh_after=r"""
        样本越少，下限越高：用少量样本估计的协方差噪声大，而由估计量算出的弗雷歇距离是偏高的。
        若模型用比下限更少的样本评测，它会显得比实际更差；用更多的样本，则会显得更好。
        """,
    ),
    solution(
        2,
        en="",
        zh="",
        code=r"""
        labels = predict(classifier, gan_10k)
        rare = int(torch.bincount(labels, minlength=10).argmin())
        show_images(gan_10k[labels == rare][:20], nrow=10, title=T(f"DCGAN samples labelled {rare}", f"被判为 {rare} 的 DCGAN 样本"))
        """,
        en_after=r"""
        Look at them critically: a rare class is often one the generator draws badly, so some of these
        are ambiguous shapes that only barely count as the digit.
        """,
        zh_after=r"""
        请带着批判的眼光看：生成器很少画出的类别，往往也是它画得不好的类别，其中一些只是勉强算作该数字的含糊形状。
        """,
    ),
    solution(
        3,
        en="",
        zh="",
        code=r"""
        binary = torch.bernoulli(vae_10k, generator=torch.Generator().manual_seed(0))
        r = describe(binary)
        print({k: (v.format(3) if hasattr(v, "format") else v) for k, v in r.items()},
              "FD of 1,000:", round(fd_to_train(binary[:1000]), 1))
        """,
        en_after=r"""
        No pixel is mid-grey any more, but the strokes become speckled with isolated dots: the model's
        pixels are independent given $z$, so sampling them adds noise rather than sharpness. The Fréchet
        distance shows whether the classifier's features prefer blur or speckle.
        """,
        zh_after=r"""
        中间灰度的像素消失了，但笔画上布满了孤立的噪点：在给定 $z$ 时模型的各像素相互独立，对它们抽样增加的是噪声而不是清晰度。
        弗雷歇距离会告诉你，分类器的特征更“偏爱”模糊还是噪点。
        """,
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
