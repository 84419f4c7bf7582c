"""Chapter 7: diffusion models — the mathematics checked by running code, a 2-D toy and a small UNet on MNIST."""
from twins import code, md, objectives, solution

CELLS = [
    # ------------------------------------------------------------------------------------------ intro
    md(
        en=r"""
        # 7 · Diffusion models

        A **diffusion model** {cite:p}`sohldickstein2015diffusion,ho2020ddpm` generates by *removing noise*. A
        fixed **forward process** destroys an image in many small steps, adding a little Gaussian noise each
        time, until nothing but noise is left; a neural network learns the **reverse process**, one small
        denoising step at a time, and a sample is drawn by starting from pure noise and running it. There is no
        discriminator to balance (chapter 2) and no encoder (chapter 3); like a VAE, the model is trained on a
        variational bound, but the bound reduces to an almost embarrassingly simple regression: *predict the
        noise that was added*.

        This chapter derives each piece and **checks every formula numerically** as soon as it is stated:

        1. the forward process and its closed form $q(x_t\mid x_0)$, checked by simulating the chain; the
           linear and cosine **noise schedules** and their signal-to-noise ratio;
        2. the reverse posterior $q(x_{t-1}\mid x_t, x_0)$, checked by Bayes' rule on a grid;
        3. the ELBO as a sum of per-step KL divergences, the noise-prediction loss $L_\text{simple}$ and the
           weights it drops;
        4. the $\varepsilon$-, $x_0$- and score parameterisations, and Tweedie's formula checked on a Gaussian
           mixture whose score is known exactly;
        5. the ring of eight Gaussians from chapter 2: modes covered by a diffusion model and by the GANs;
        6. a class-conditional UNet trained on the offline MNIST digits and measured with chapter 5's ruler:
           DDPM against DDIM sampling {cite:p}`song2021ddim`, classifier-free guidance {cite:p}`ho2022cfg`, and
           a likelihood bound in bits per dimension beside the VAE's.

        The code is `course_lib.models.diffusion` (the formulas) and the modules beside it: `diffusion_sampler`
        (the schedule, the training loss and the one sampling loop), `diffusion_unet` (the network),
        `diffusion_toy` (the 2-D toy) and `diffusion_task` (the training task behind
        `python -m course_lib train diffusion`).
        """,
        zh=r"""
        # 7 · 扩散模型

        **扩散模型** {cite:p}`zh-sohldickstein2015diffusion,zh-ho2020ddpm` 靠“去除噪声”来生成数据。一个固定的**前向过程**把一张图像分成许多小步逐渐破坏：
        每一步加入一点高斯噪声，直到只剩下噪声；神经网络学习的是**反向过程**，一次去掉一小步噪声。采样时从纯噪声出发，把反向过程走完即可。
        这里既没有需要与之保持平衡的判别器（第 2 章），也没有编码器（第 3 章）；和变分自编码器一样，它也是在一个变分下界上训练的，
        但这个下界最终化简成一个简单得出奇的回归问题：*预测加进去的噪声*。

        本章推导每一个组成部分，并且每写下一个公式，就**立即用数值计算验证它**：

        1. 前向过程及其闭式解 $q(x_t\mid x_0)$，用模拟马尔可夫链来验证；线性与余弦两种**噪声调度**，以及它们的信噪比；
        2. 反向后验 $q(x_{t-1}\mid x_t, x_0)$，用网格上的贝叶斯公式验证；
        3. 把 ELBO 写成逐步 KL 散度之和，噪声预测损失 $L_\text{simple}$，以及它丢掉了哪些权重；
        4. $\varepsilon$、$x_0$ 与得分三种参数化，并在一个得分有闭式解的高斯混合上验证 Tweedie 公式；
        5. 第 2 章的八个高斯组成的圆环：扩散模型与生成对抗网络各覆盖了几个模式；
        6. 在离线 MNIST 数字上训练的类别条件 UNet，用第 5 章的标尺来测量：DDPM 与 DDIM {cite:p}`zh-song2021ddim` 两种采样、
           分类器无关引导 {cite:p}`zh-ho2022cfg`，以及与变分自编码器并列的、以每维比特数计的似然下界。

        代码位于 `course_lib.models.diffusion`（公式）及其旁边的几个模块：`diffusion_sampler`（噪声调度、训练损失和唯一的采样循环）、
        `diffusion_unet`（网络）、`diffusion_toy`（二维玩具模型）和 `diffusion_task`（`python -m course_lib train diffusion`
        背后的训练任务）。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            r"derive the forward process's closed form $q(x_t \mid x_0)$ and the reverse posterior $q(x_{t-1} \mid x_t, x_0)$, and check both numerically;",
            "reduce the ELBO to a sum of per-step KL divergences and the simple noise-prediction loss;",
            "convert between the noise, clean-image and score parameterisations, and use Tweedie's formula;",
            "compare a diffusion model with chapter 2's GANs on the ring of Gaussians;",
            "sample MNIST with DDPM and DDIM, steer it with classifier-free guidance, and measure it with chapter 5's instruments.",
        ],
        zh=[
            r"推导前向过程的闭式 $q(x_t \mid x_0)$ 与反向后验 $q(x_{t-1} \mid x_t, x_0)$，并用数值验证；",
            "把 ELBO 化为逐步 KL 散度之和，再化为预测噪声的简化损失；",
            "在噪声、干净图像和得分三种参数化之间换算，并使用 Tweedie 公式；",
            "在圆环上的高斯混合上，把扩散模型与第 2 章的生成对抗网络相比较；",
            "用 DDPM 和 DDIM 对 MNIST 采样，用分类器无关引导控制生成，并用第 5 章的工具测量结果。",
        ],
        chapters=(2, 3, 5),
        maths_en=r"Gaussian conditioning and products of Gaussians, KL divergence between Gaussians, Bayes' rule, the score $\nabla_x \log p(x)$.",
        maths_zh=r"高斯分布的条件分布与乘积、两个高斯分布之间的 KL 散度、贝叶斯公式、得分 $\nabla_x \log p(x)$。",
    ),
    code(
        """
        import math
        import time

        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        import numpy as np
        import torch

        import course_lib
        from course_lib.notebook import pad
        from course_lib import load_offline_mnist, show_images
        from course_lib.checkpoint import read_card, shipped_checkpoint
        from course_lib.evaluator import checkpoint_fd, frechet_distance, load_classifier, sample_checkpoint
        from course_lib.models import diffusion as D
        from course_lib.models.diffusion_task import load_diffusion, row_interval
        from course_lib.models.diffusion_toy import ToyDenoiser, sample_toy, train_toy
        from course_lib import ring_study
        from course_lib.models.gan import mode_coverage, ring_centers, ring_of_gaussians
        from course_lib.plotting import slider_figure
        # en: gen(seed): a private random generator: each cell's randomness does not depend on the cells before it
        # zh: gen(seed)：私有的随机数生成器：每个单元格的随机性不受之前单元格的影响
        from course_lib.seed import make_generator as gen
        from course_lib.stats import seed_interval, verdict

        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        # en: small models: one CPU thread is fastest, and gives the same rounding on every machine
        # zh: 模型都很小：单个 CPU 线程最快，而且在每台机器上的舍入结果都相同
        torch.set_num_threads(1)
        x_train, y_train = load_offline_mnist("train")    # 4,000 digits, (N, 1, 28, 28) in [0, 1]
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    # ---------------------------------------------------------------------------------- gallery
    md(
        en=r"""
        ## Where this chapter is going

        Before the derivations, what they lead to. These digits were drawn by the chapter's UNet (section 7.6)
        after one command trained it on all 60,000 training digits of full MNIST; the checkpoint ships with the book,
        so the cell runs on every machine, and its model card records the command, the time and the machine.
        On the left, the model's own distribution without guidance: each digit's label is drawn at random from the
        training set's class shares, then a digit of that class with the ancestral sampler ("DDPM", 100 steps,
        section 7.6), which is the table's last model row. On the right, the digits 0–9 asked for, one per column,
        with classifier-free guidance $w = 1$ (also section 7.6).

        The table judges the samples with chapter 5's classifier: the share of samples it assigns to one digit
        with a probability of at least 0.9, and KL(classes ‖ uniform) beside it, since a model that draws one
        digit well is no success. Each row holds several seeds of 1,000 samples, with 95% intervals over the
        seeds; `bench/diffusion.py` measured them once and stored them in the card. A class-conditional model
        draws from its own distribution $p(x) = \sum_y p(y)\,p(x\mid y)$ by first drawing a label from the
        training set's class shares; with guidance ($w > 0$) each class is sharpened and the samples no longer
        follow the fitted distribution. The rest of the chapter uses a smaller budget: the same network trained
        on the 4,000 offline digits, which you can retrain yourself on one CPU thread (section 7.6 prints how long it took).
        """,
        zh=r"""
        ## 本章要走到哪里

        推导之前，先看推导的结果。下面这些数字出自本章的 UNet（第 7.6 节）：用一条命令在完整 MNIST 的全部 60,000 张训练数字上训练而成。
        检查点随书附带，所以这个单元格在每台机器上都能运行；它的模型卡记下了训练命令、时间和机器。
        左图是模型自己的分布、不加引导：每个样本先按训练集各类别的比例随机抽一个标签，再用祖先采样（“DDPM”，100 步，见第 7.6 节）
        画出这一类的数字，也就是下表最后一个模型行。右图依次要求数字 0–9，每列一个数字，并使用引导权重 $w = 1$ 的分类器无关引导（同样见第 7.6 节）。

        下表用第 5 章的分类器来评判这些样本：分类器以至少 0.9 的概率判为某一个数字的样本所占的比例，旁边再给出类别分布到均匀分布的 KL 散度——
        只会把一个数字画好的模型算不上成功。每一行都是几个种子、每个种子 1,000 个样本的结果，附跨种子的 95% 置信区间；
        这些数由 `bench/diffusion.py` 测一次并存进模型卡。类别条件模型要从它自己的分布 $p(x) = \sum_y p(y)\,p(x\mid y)$ 中采样，
        就先按训练集各类别的比例抽一个标签；加了引导（$w > 0$）以后，每一类都被锐化，样本就不再服从拟合出来的分布了。
        本章其余部分用的预算小得多：同一个网络只在 4,000 张离线数字上训练，你自己在单个 CPU 线程上就能重训一遍（第 7.6 节打印了它用了多长时间）。
        """,
    ),
    code(
        """
        from course_lib.evaluator import class_coverage, showcase_bar
        from course_lib.notebook import recognisable_table, showcase_header
        from course_lib.plotting import show_pair

        showcase, showcase_card = load_diffusion(shipped_checkpoint("diffusion_full"))
        steps_done = showcase_card["epochs"] * (showcase_card["train_examples"] // showcase_card["batch_size"])
        print(showcase_header(showcase_card, T("en", "zh"), steps=steps_done))
        study_rec = showcase_card["study"]["recognisable"]
        # en: the training set's class shares, stored in the card (full MNIST need not be on this machine)
        # zh: 训练集各类别的比例存在模型卡里（这台机器上不必有完整 MNIST）
        labels = torch.multinomial(torch.tensor(study_rec["prior"]), 40, replacement=True, generator=gen(2))
        with torch.no_grad():
            free = showcase.sample(40, generator=gen(0), steps=100, eta=1.0, y=labels, guidance=0.0)
            asked = showcase.sample(40, generator=gen(1), steps=20, y=torch.arange(40) % 10, guidance=1.0)
        show_pair(free, asked, (T("label drawn, w = 0, DDPM 100 steps", "先抽标签，w = 0，DDPM 100 步"), T("digits 0-9 asked for, guidance w = 1", "指定数字 0-9，引导 w = 1")))
        plt.show()

        classifier, _ = load_classifier()
        seeds = {r.get("sampler", "ddim"): r["draws"] for r in study_rec["rows"]}
        print(T(f"chapter 5's classifier, {seeds['ddim']} seeds × 1,000 samples per row (the DDPM rows: {seeds.get('ddpm', '-')}), DDIM {showcase.sample_steps} steps unless the row says DDPM; 95% intervals",
                f"第 5 章的分类器，每行 {seeds['ddim']} 个种子 × 1,000 个样本（DDPM 各行：{seeds.get('ddpm', '-')} 个种子），除注明 DDPM 的行外都是 DDIM {showcase.sample_steps} 步；95% 置信区间"))
        row_names = {(None, None): T("no digit asked for (null class)", "不指定数字（空类别）"),
                     ("prior", 0.0): T("label drawn from the training shares, w = 0", "按训练集比例抽标签，w = 0"),
                     ("prior", 1.0): T("label drawn from the training shares, w = 1", "按训练集比例抽标签，w = 1")}
        ddpm_names = {(None, None): T("null class", "空类别"), ("prior", 0.0): T("label drawn (shares), w = 0", "按比例抽标签，w = 0")}


        def row_name(r):
            if r.get("sampler", "ddim") == "ddpm":
                return ddpm_names[r["labels"], r["w"]] + T(f", DDPM {r['steps']} steps", f"，DDPM {r['steps']} 步")
            return row_names[r["labels"], r["w"]]


        # en: the bar a showcase model must clear (course_lib.evaluator.SHOWCASE_BAR): recognisable >= 0.85 and all ten digits with KL <= 0.05, read off the intervals
        # zh: 展示模型要过的标准（course_lib.evaluator.SHOWCASE_BAR）：可辨认占比 >= 0.85，且十个数字齐全、KL <= 0.05，按区间来判
        table_text, intervals = recognisable_table([(row_name(r), r) for r in study_rec["rows"]],
                                                   class_coverage(load_offline_mnist("heldout")[0], classifier),
                                                   bar=showcase_bar(showcase_card["kind"]), lang=T("en", "zh"), width=46)
        print(table_text)
        judged = {(r["labels"], r["w"], r.get("sampler", "ddim")): rec for r, (rec, _) in zip(study_rec["rows"], intervals)}
        v = verdict(judged["prior", 0.0, "ddim"], judged[None, None, "ddim"], higher_is_better=True,
                    names=(T("label drawn first", "先抽标签"), T("null class", "空类别")))
        print(T("verdict: more recognisable without guidance:", "结论：不加引导时更容易辨认的是："),
              v.winner if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))
        v = verdict(judged["prior", 0.0, "ddpm"], judged["prior", 0.0, "ddim"], higher_is_better=True, names=("DDPM", "DDIM"))
        print(T("verdict: labels drawn, w = 0, the more recognisable sampler:", "结论：按比例抽标签、w = 0 时，更容易辨认的采样器是："),
              v.winner if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))
        """
    ),
    md(
        en=r"""
        Read the rows from the top. Asked for no digit, the network answers with its null-class branch, which
        learned only from the fifth of each minibatch whose labels were dropped; many of its samples are shapes
        the classifier will not vouch for. Drawing a label first and then the digit would give the same
        distribution if the network were perfect; with this one, the verdict line says which of the two draws the
        more recognisable digits, and the KL of that row stays near zero because the labels follow the training
        set's shares. Guidance ($w = 1$) buys more recognisable digits still, at the price of diversity. The last
        two rows keep the network and change only the sampler: the ancestral sampler ("DDPM", section 7.6) with
        100 steps, which adds fresh noise at every step where DDIM adds none, with no guidance, so that the
        drawn-label row is still a sample of the fitted $p(x)$. The second verdict line says which sampler draws
        that distribution's digits more recognisably. The last column says which rows reach the bar set for a
        showcase model. Section 7.6 measures the same effects on the small model, shows where the null class
        loses, and gives a reason why fresh noise can help a network that errs.
        """,
        zh=r"""
        从上往下读这几行。不指定数字时，网络用它的空类别分支作答，而这个分支只从每个小批量里被丢掉标签的那五分之一样本中学习过；
        它的样本里有不少是分类器不肯担保的形状。先抽标签、再画数字，如果网络是完美的，得到的本是同一个分布；对眼前这个网络，
        哪一种画出的数字更容易辨认，由结论一行给出；那一行的 KL 接近零，因为标签本身就服从训练集的比例。
        引导（$w = 1$）让数字更容易辨认，代价是多样性。最后一列给出哪几行达到了给展示模型定的标准。第 7.6 节在小模型上测量了同样的效应，
        并说明空类别输在哪里。
        """,
    ),
    # ---------------------------------------------------------------------------------- forward process
    md(
        en=r"""
        ## 7.1 The forward process and its closed form

        Fix a **noise schedule** $0 < \beta_1 < \dots < \beta_T < 1$ and write $\alpha_t = 1 - \beta_t$. The forward
        process is a Markov chain that shrinks the image a little and adds a little noise:

        $$
        q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{\alpha_t}\, x_{t-1},\ \beta_t I\big),
        \qquad\text{i.e.}\qquad x_t = \sqrt{\alpha_t}\, x_{t-1} + \sqrt{\beta_t}\, \varepsilon_t,\quad \varepsilon_t \sim \mathcal N(0, I).
        $$

        Two steps at once: $x_t = \sqrt{\alpha_t\alpha_{t-1}}\,x_{t-2} + \sqrt{\alpha_t\beta_{t-1}}\,\varepsilon_{t-1} + \sqrt{\beta_t}\,\varepsilon_t$.
        The last two terms are independent Gaussians, so their sum is Gaussian with variance
        $\alpha_t(1-\alpha_{t-1}) + 1 - \alpha_t = 1 - \alpha_t\alpha_{t-1}$. By induction, with
        $\bar\alpha_t = \prod_{s\le t}\alpha_s$,

        $$
        q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1-\bar\alpha_t) I\big),
        \qquad x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon .
        $$

        So we never need to run the chain to get $x_t$: one draw of $\varepsilon$ jumps there. The scaling by
        $\sqrt{\alpha_t}$ keeps the variance bounded (data of unit variance keeps unit variance), and once
        $\bar\alpha_T \approx 0$ the end of the chain is $\mathcal N(0, I)$ whatever $x_0$ was. Below we run the
        chain step by step for 50,000 copies of one starting value and compare mean and variance with the
        closed form ($T = 1000$, linear schedule $\beta_t$ from $10^{-4}$ to $0.02$ as in DDPM):
        """,
        zh=r"""
        ## 7.1 前向过程及其闭式解

        取定一个**噪声调度** $0 < \beta_1 < \dots < \beta_T < 1$，记 $\alpha_t = 1 - \beta_t$。前向过程是一条马尔可夫链，
        每一步把图像缩小一点，再加一点噪声：

        $$
        q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{\alpha_t}\, x_{t-1},\ \beta_t I\big),
        \qquad\text{即}\qquad x_t = \sqrt{\alpha_t}\, x_{t-1} + \sqrt{\beta_t}\, \varepsilon_t,\quad \varepsilon_t \sim \mathcal N(0, I).
        $$

        一次走两步：$x_t = \sqrt{\alpha_t\alpha_{t-1}}\,x_{t-2} + \sqrt{\alpha_t\beta_{t-1}}\,\varepsilon_{t-1} + \sqrt{\beta_t}\,\varepsilon_t$。
        后两项是相互独立的高斯变量，它们的和仍是高斯变量，方差为 $\alpha_t(1-\alpha_{t-1}) + 1 - \alpha_t = 1 - \alpha_t\alpha_{t-1}$。
        由归纳法，记 $\bar\alpha_t = \prod_{s\le t}\alpha_s$，就得到

        $$
        q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1-\bar\alpha_t) I\big),
        \qquad x_t = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1-\bar\alpha_t}\,\varepsilon .
        $$

        所以要得到 $x_t$ 根本不必逐步运行这条链：抽一次 $\varepsilon$ 就能直接跳过去。乘以 $\sqrt{\alpha_t}$ 使方差保持有界
        （方差为 1 的数据始终保持方差为 1）；一旦 $\bar\alpha_T \approx 0$，无论 $x_0$ 是什么，链的终点都是 $\mathcal N(0, I)$。
        下面让 50,000 个从同一个初始值出发的副本逐步走完这条链，并把均值和方差与闭式解比较
        （$T = 1000$，与 DDPM 一样使用从 $10^{-4}$ 线性增长到 $0.02$ 的调度）：
        """,
    ),
    code(
        """
        linear, cosine = D.linear_schedule(1000), D.cosine_schedule(1000)
        x0 = torch.full((50_000, 1), 1.5)
        x, g = x0.clone(), gen(1)
        print(f"{'t':>5}{pad(T('chain mean', '链的均值'), 14)}{pad(T('closed form', '闭式解'), 13)}{pad(T('chain var', '链的方差'), 13)}{pad(T('closed form', '闭式解'), 13)}")
        for t in range(1, 1001):
            x = D.q_step(x, t, linear, torch.randn(x.shape, generator=g))
            if t in (10, 100, 300, 1000):
                ab = float(linear.alpha_bars[t])
                print(f"{t:>5}{float(x.mean()):>14.3f}{math.sqrt(ab) * 1.5:>13.3f}{float(x.var()):>13.3f}{1 - ab:>13.3f}")
        """
    ),
    md(
        en=r"""
        The schedule decides how fast information is destroyed. The **signal-to-noise ratio**
        $\mathrm{SNR}(t) = \bar\alpha_t / (1-\bar\alpha_t)$ is the ratio of the variance of the signal
        $\sqrt{\bar\alpha_t}x_0$ to that of the noise (for data of unit variance). Nichol and Dhariwal
        {cite:p}`nichol2021improved` noticed that with the linear schedule the last part of the chain is nearly
        pure noise and contributes little, and proposed the **cosine schedule**
        $\bar\alpha_t = f(t)/f(0)$, $f(t) = \cos^2\!\big(\tfrac{\pi}{2}\tfrac{t/T + s}{1+s}\big)$ with $s = 0.008$,
        whose $\log\mathrm{SNR}$ falls almost linearly in $t$ through the middle of the chain (it bends away at both
        ends, where $\bar\alpha_t$ approaches 1 and 0):
        """,
        zh=r"""
        调度决定信息被破坏得有多快。**信噪比** $\mathrm{SNR}(t) = \bar\alpha_t / (1-\bar\alpha_t)$ 是信号 $\sqrt{\bar\alpha_t}x_0$
        的方差与噪声方差之比（对方差为 1 的数据而言）。Nichol 与 Dhariwal {cite:p}`zh-nichol2021improved` 注意到，线性调度下链的最后一段几乎全是噪声，
        贡献很小，于是提出了**余弦调度** $\bar\alpha_t = f(t)/f(0)$，$f(t) = \cos^2\!\big(\tfrac{\pi}{2}\tfrac{t/T + s}{1+s}\big)$，$s = 0.008$，
        它的 $\log\mathrm{SNR}$ 在链的中段随 $t$ 几乎线性下降（在 $\bar\alpha_t$ 接近 1 和接近 0 的两端则弯离直线）：
        """,
    ),
    code(
        """
        t_axis = np.arange(1, 1001)
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.4))
        for s, name in ((linear, T("linear", "线性")), (cosine, T("cosine", "余弦"))):
            axes[0].plot(t_axis, s.alpha_bars[1:].numpy(), label=name)
            axes[1].plot(t_axis, np.log(D.snr(s).numpy()), label=name)
        axes[0].set_title(T("signal kept: ᾱₜ", "保留的信号：ᾱₜ"))
        axes[1].set_title(T("log SNR(t)", "log SNR(t)"))
        for a in axes[:2]:
            a.set_xlabel("t")
            a.legend()
        # en: one digit along both schedules
        # zh: 同一个数字在两种调度下的加噪过程
        steps_shown = [0, 100, 250, 500, 750, 1000]
        digit = x_train[7:8] * 2 - 1
        noise = torch.randn(digit.shape, generator=gen(2))
        rows = [torch.cat([D.q_sample(digit, t, s, noise) for t in steps_shown]) for s in (linear, cosine)]
        show_images(((torch.cat(rows) + 1) / 2).clamp(0, 1), nrow=6, ax=axes[2],
                    title=T("t = 0, 100, 250, 500, 750, 1000 (top: linear, bottom: cosine)",
                            "t = 0、100、250、500、750、1000（上：线性，下：余弦）"))
        plt.tight_layout()
        plt.show()
        for s, name in ((linear, T("linear", "线性")), (cosine, T("cosine", "余弦"))):
            r = D.snr(s)
            below, ab_T = int((r < 1).nonzero()[0]) + 1, float(s.alpha_bars[-1])
            print(f"{pad(name, 8, '<')}", T(f"ᾱ_T = {ab_T:.2e}; SNR falls below 1 at t = {below}",
                                  f"ᾱ_T = {ab_T:.2e}；SNR 在 t = {below} 时降到 1 以下"))
        """
    ),
    # ---------------------------------------------------------------------------------- reverse posterior
    md(
        en=r"""
        ## 7.2 The reverse posterior

        To generate we must go backwards, $x_t \to x_{t-1}$. The reverse conditional $q(x_{t-1}\mid x_t)$ is
        intractable (it depends on the whole data distribution), but once we also condition on $x_0$ it is a
        Gaussian we can write down. By Bayes' rule and the Markov property,
        $q(x_{t-1}\mid x_t, x_0) \propto q(x_t\mid x_{t-1})\,q(x_{t-1}\mid x_0)$: a product of two Gaussians in
        $x_{t-1}$, with precisions $\alpha_t/\beta_t$ and $1/(1-\bar\alpha_{t-1})$. Adding precisions and
        completing the square gives

        $$
        q(x_{t-1}\mid x_t, x_0) = \mathcal N\big(\tilde\mu_t(x_t, x_0),\ \tilde\beta_t I\big),\quad
        \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,x_0 + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t,\quad
        \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t .
        $$

        The check: for a 1-D example, multiply the two densities on a fine grid, normalise, and compute the mean
        and variance numerically.
        """,
        zh=r"""
        ## 7.2 反向后验

        要生成数据就得反着走：$x_t \to x_{t-1}$。反向条件分布 $q(x_{t-1}\mid x_t)$ 难以计算（它依赖整个数据分布），
        但只要再以 $x_0$ 为条件，它就是一个可以写出来的高斯分布。由贝叶斯公式和马尔可夫性，
        $q(x_{t-1}\mid x_t, x_0) \propto q(x_t\mid x_{t-1})\,q(x_{t-1}\mid x_0)$：这是关于 $x_{t-1}$ 的两个高斯密度之积，
        精度分别为 $\alpha_t/\beta_t$ 和 $1/(1-\bar\alpha_{t-1})$。把精度相加再配方，得到

        $$
        q(x_{t-1}\mid x_t, x_0) = \mathcal N\big(\tilde\mu_t(x_t, x_0),\ \tilde\beta_t I\big),\quad
        \tilde\mu_t = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}\,x_0 + \frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{1-\bar\alpha_t}\,x_t,\quad
        \tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t .
        $$

        验证方法：对一维的例子，在细密的网格上把两个密度相乘、归一化，再用数值方法算出均值和方差。
        """,
    ),
    code(
        """
        grid = torch.linspace(-8, 8, 400_001, dtype=torch.float64)
        print(f"{'t':>5}{'x_0':>6}{'x_t':>6}{pad(T('mean: grid', '均值：网格'), 13)}{pad(T('formula', '公式'), 10)}{pad(T('var: grid', '方差：网格'), 13)}{pad(T('formula', '公式'), 10)}")
        for t, a0, at in ((2, 0.8, 0.5), (100, -1.0, 0.3), (600, 0.5, -1.2)):
            a, b, ab_prev = cosine.alphas[t], cosine.betas[t], cosine.alpha_bars[t - 1]
            log_post = -(at - a.sqrt() * grid) ** 2 / (2 * b) - (grid - ab_prev.sqrt() * a0) ** 2 / (2 * (1 - ab_prev))
            w = torch.softmax(log_post, 0)
            m_grid = float((w * grid).sum())
            v_grid = float((w * (grid - m_grid) ** 2).sum())
            m, v = D.posterior(torch.tensor([a0], dtype=torch.float64), torch.tensor([at], dtype=torch.float64), t, cosine)
            print(f"{t:>5}{a0:>6}{at:>6}{m_grid:>13.5f}{float(m):>10.5f}{v_grid:>13.3e}{float(v):>10.3e}")
        """
    ),
    # ---------------------------------------------------------------------------------- ELBO, L_simple
    md(
        en=r"""
        ## 7.3 The ELBO, per-step KL divergences, and the simple loss

        The model is a reverse chain $p_\theta(x_{0:T}) = p(x_T)\prod_t p_\theta(x_{t-1}\mid x_t)$ with
        $p(x_T) = \mathcal N(0, I)$ and Gaussian steps $p_\theta(x_{t-1}\mid x_t) = \mathcal N(\mu_\theta(x_t, t), \sigma_t^2 I)$.
        The forward chain plays the role of the VAE's encoder (chapter 3), with no parameters. The same Jensen
        argument gives $-\log p_\theta(x_0) \le \mathbb E_q\big[-\log \tfrac{p_\theta(x_{0:T})}{q(x_{1:T}\mid x_0)}\big]$, and
        rewriting each $q(x_t\mid x_{t-1})$ with Bayes' rule conditioned on $x_0$ turns the bound into a sum of
        KL divergences between Gaussians {cite:p}`sohldickstein2015diffusion,ho2020ddpm`:

        $$
        L = \underbrace{\mathrm{KL}\big(q(x_T\mid x_0)\,\|\,p(x_T)\big)}_{L_T}
          + \sum_{t=2}^{T}\underbrace{\mathbb E_q\,\mathrm{KL}\big(q(x_{t-1}\mid x_t,x_0)\,\|\,p_\theta(x_{t-1}\mid x_t)\big)}_{L_{t-1}}
          \;\underbrace{-\ \mathbb E_q \log p_\theta(x_0\mid x_1)}_{L_0}.
        $$

        $L_T$ has no parameters. If $\mu_\theta$ is written in the form of the posterior mean with the network
        predicting the noise, $\mu_\theta(x_t,t) = \tilde\mu_t\big(x_t, \hat x_0\big)$ with
        $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\varepsilon_\theta(x_t,t))/\sqrt{\bar\alpha_t}$, and the reverse variance is
        the posterior's, $\sigma_t^2 = \tilde\beta_t$, then both Gaussians in $L_{t-1}$ share that variance and the KL is a
        weighted squared error in the noise (with another fixed variance, such as $\sigma_t^2 = \beta_t$, the two
        variances differ and the KL gains a term that does not depend on $\theta$: the same squared error plus a
        constant):

        $$
        L_{t-1} = \frac{\|\tilde\mu_t - \mu_\theta\|^2}{2\sigma_t^2}
               = \lambda_t\,\big\|\varepsilon - \varepsilon_\theta(x_t, t)\big\|^2,\qquad
        \lambda_t = \frac{\beta_t^2}{2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t)} .
        $$

        Ho et al. found that dropping the weights trains better samples: the **simple loss**
        $L_\text{simple} = \mathbb E_{t, x_0, \varepsilon}\|\varepsilon - \varepsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon, t)\|^2$
        with $t$ uniform. What it drops is the weighting $\lambda_t$ (and the decoder term's exact form): the
        bound puts enormous weight on the smallest $t$ — invisible noise — while $L_\text{simple}$ spends the
        network's effort evenly, which moves it towards the larger $t$ where the shape of a digit is decided. It
        is therefore no longer a bound on $\log p(x_0)$; to report a likelihood we evaluate the true bound
        separately (section 7.6). The check: the Gaussian KL computed directly equals $\lambda_t\|\varepsilon-\hat\varepsilon\|^2$
        (with $\sigma_t^2 = \tilde\beta_t$):
        """,
        zh=r"""
        ## 7.3 ELBO、逐步 KL 散度与简化损失

        模型是一条反向链 $p_\theta(x_{0:T}) = p(x_T)\prod_t p_\theta(x_{t-1}\mid x_t)$，其中 $p(x_T) = \mathcal N(0, I)$，
        每一步都是高斯分布 $p_\theta(x_{t-1}\mid x_t) = \mathcal N(\mu_\theta(x_t, t), \sigma_t^2 I)$。前向链相当于变分自编码器的编码器（第 3 章），
        只是没有参数。同样用詹森不等式可得 $-\log p_\theta(x_0) \le \mathbb E_q\big[-\log \tfrac{p_\theta(x_{0:T})}{q(x_{1:T}\mid x_0)}\big]$；
        再用以 $x_0$ 为条件的贝叶斯公式改写每个 $q(x_t\mid x_{t-1})$，这个下界就变成若干高斯分布之间的 KL 散度之和
        {cite:p}`zh-sohldickstein2015diffusion,zh-ho2020ddpm`：

        $$
        L = \underbrace{\mathrm{KL}\big(q(x_T\mid x_0)\,\|\,p(x_T)\big)}_{L_T}
          + \sum_{t=2}^{T}\underbrace{\mathbb E_q\,\mathrm{KL}\big(q(x_{t-1}\mid x_t,x_0)\,\|\,p_\theta(x_{t-1}\mid x_t)\big)}_{L_{t-1}}
          \;\underbrace{-\ \mathbb E_q \log p_\theta(x_0\mid x_1)}_{L_0}.
        $$

        $L_T$ 不含参数。如果把 $\mu_\theta$ 写成后验均值的形式，由网络来预测噪声，即 $\mu_\theta(x_t,t) = \tilde\mu_t\big(x_t, \hat x_0\big)$，
        其中 $\hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\varepsilon_\theta(x_t,t))/\sqrt{\bar\alpha_t}$，并且反向方差取后验的方差 $\sigma_t^2 = \tilde\beta_t$，
        那么 $L_{t-1}$ 中的两个高斯分布方差相同，KL 散度就成了噪声的加权平方误差（若取别的固定方差，例如 $\sigma_t^2 = \beta_t$，
        两个方差就不相等，KL 散度会多出一个与 $\theta$ 无关的项：仍是同样的平方误差，只是多了一个常数）：

        $$
        L_{t-1} = \frac{\|\tilde\mu_t - \mu_\theta\|^2}{2\sigma_t^2}
               = \lambda_t\,\big\|\varepsilon - \varepsilon_\theta(x_t, t)\big\|^2,\qquad
        \lambda_t = \frac{\beta_t^2}{2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t)} .
        $$

        Ho 等人发现，去掉这些权重反而能训练出更好的样本，这就是**简化损失**
        $L_\text{simple} = \mathbb E_{t, x_0, \varepsilon}\|\varepsilon - \varepsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon, t)\|^2$，
        其中 $t$ 均匀抽取。它丢掉的是权重 $\lambda_t$（以及解码项的确切形式）：下界把极大的权重放在最小的 $t$ 上——那里的噪声肉眼根本看不见——
        而 $L_\text{simple}$ 把网络的拟合能力平均分配，相当于把重心移向较大的 $t$，也就是决定数字形状的那些步。因此它已不再是 $\log p(x_0)$ 的下界；
        要报告似然，需要另外计算真正的下界（第 7.6 节）。验证：直接算出的高斯 KL 散度等于 $\lambda_t\|\varepsilon-\hat\varepsilon\|^2$
        （取 $\sigma_t^2 = \tilde\beta_t$）：
        """,
    ),
    code(
        """
        s = cosine
        x0, eps = torch.rand(4, 784, generator=gen(3), dtype=torch.float64) * 2 - 1, torch.randn(4, 784, generator=gen(4), dtype=torch.float64)
        eps_hat = eps + 0.1 * torch.randn(4, 784, generator=gen(5), dtype=torch.float64)
        lam = s.betas ** 2 / (2 * s.posterior_variance.clamp(min=1e-30) * s.alphas * (1 - s.alpha_bars))
        print(f"{'t':>5}{pad(T('KL (direct)', 'KL（直接计算）'), 16)}{pad(T('lambda_t |eps - eps_hat|^2', 'lambda_t |eps - eps_hat|^2'), 30)}{'lambda_t':>12}")
        for t in (2, 10, 100, 500, 900):
            xt = D.q_sample(x0, t, s, eps)
            m_true, var = D.posterior(x0, xt, t, s)
            m_model, _ = D.posterior(D.eps_to_x0(xt, eps_hat, t, s), xt, t, s)
            kl = D.normal_kl(m_true, var.expand_as(x0), m_model, var.expand_as(x0)).sum(1)
            by_weight = lam[t] * ((eps - eps_hat) ** 2).sum(1)
            print(f"{t:>5}{float(kl[0]):>16.4f}{float(by_weight[0]):>30.4f}{float(lam[t]):>12.3e}")
        plt.figure(figsize=(5.5, 3.2))
        plt.semilogy(np.arange(2, 1001), lam[2:].numpy(), label=T("weight in the bound, lambda_t", "下界中的权重 lambda_t"))
        plt.axhline(1.0, color="k", ls="--", label=T("L_simple: weight 1", "L_simple：权重为 1"))
        plt.xlabel("t")
        plt.legend()
        plt.title(T("what L_simple drops (cosine schedule)", "L_simple 丢掉了什么（余弦调度）"))
        plt.show()
        """
    ),
    # ---------------------------------------------------------------------------------- parameterisations
    md(
        en=r"""
        ## 7.4 Three parameterisations: noise, clean image, score — and Tweedie's formula

        Given $x_t$, a network can predict the noise $\varepsilon$, the clean image $x_0$, or the **score**
        $\nabla_{x_t}\log q_t(x_t)$ of the noisy marginal. They are interchangeable:

        $$
        \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}{\sqrt{\bar\alpha_t}},\qquad
        \nabla_{x_t}\log q_t(x_t) = -\frac{\mathbb E[\varepsilon\mid x_t]}{\sqrt{1-\bar\alpha_t}} .
        $$

        The second identity is **Tweedie's formula**, $\mathbb E[x_0\mid x_t] = \big(x_t + (1-\bar\alpha_t)\nabla\log q_t(x_t)\big)/\sqrt{\bar\alpha_t}$,
        and it says that a network trained by squared error to predict the noise — whose optimum is the
        conditional mean $\mathbb E[\varepsilon\mid x_t]$ — has learned the score. This is denoising score matching
        {cite:p}`vincent2011connection`, the bridge to the score-based view of diffusion as a stochastic
        differential equation {cite:p}`song2021scoresde`.

        The check, on data whose noisy marginal we know exactly: a 1-D mixture of $\mathcal N(-2, 0.3^2)$ and
        $\mathcal N(1, 0.3^2)$ with equal weights. Then $q_t$ is a mixture of
        $\mathcal N(\sqrt{\bar\alpha_t}\mu_k,\ \bar\alpha_t 0.3^2 + 1-\bar\alpha_t)$ and its score has a closed form.
        We draw many $(x_0, \varepsilon)$ pairs, form $x_t$, and estimate $\mathbb E[\varepsilon\mid x_t]$ and
        $\mathbb E[x_0\mid x_t]$ by averaging over the draws that land in a narrow bin around a few points:
        """,
        zh=r"""
        ## 7.4 三种参数化：噪声、干净图像、得分——以及 Tweedie 公式

        给定 $x_t$，网络可以预测噪声 $\varepsilon$，也可以预测干净图像 $x_0$，或者预测加噪后边缘分布的**得分** $\nabla_{x_t}\log q_t(x_t)$。
        三者可以互相换算：

        $$
        \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\varepsilon}{\sqrt{\bar\alpha_t}},\qquad
        \nabla_{x_t}\log q_t(x_t) = -\frac{\mathbb E[\varepsilon\mid x_t]}{\sqrt{1-\bar\alpha_t}} .
        $$

        第二个等式就是 **Tweedie 公式** $\mathbb E[x_0\mid x_t] = \big(x_t + (1-\bar\alpha_t)\nabla\log q_t(x_t)\big)/\sqrt{\bar\alpha_t}$。
        它说明：用平方误差训练来预测噪声的网络，最优解是条件均值 $\mathbb E[\varepsilon\mid x_t]$，因而它学到的正是得分。
        这就是去噪得分匹配 {cite:p}`zh-vincent2011connection`，也是通往“把扩散看作随机微分方程”这一基于得分的观点
        {cite:p}`zh-song2021scoresde` 的桥梁。

        在边缘分布完全已知的数据上验证：取 $\mathcal N(-2, 0.3^2)$ 与 $\mathcal N(1, 0.3^2)$ 等权重组成的一维混合分布。
        这时 $q_t$ 是 $\mathcal N(\sqrt{\bar\alpha_t}\mu_k,\ \bar\alpha_t 0.3^2 + 1-\bar\alpha_t)$ 的混合，其得分有闭式解。
        我们抽取大量 $(x_0, \varepsilon)$ 对，算出 $x_t$，再对落在几个点附近窄区间里的样本求平均，
        以此估计 $\mathbb E[\varepsilon\mid x_t]$ 和 $\mathbb E[x_0\mid x_t]$：
        """,
    ),
    code(
        """
        t, mus, sd = 400, torch.tensor([-2.0, 1.0], dtype=torch.float64), 0.3
        ab = float(linear.alpha_bars[t])
        var_t = ab * sd ** 2 + 1 - ab


        def log_q_t(x):
            # en: the exact log density of the noisy marginal q_t (a two-component Gaussian mixture)
            # zh: 加噪边缘分布 q_t 的精确对数密度（两个分量的高斯混合）
            comps = -(x[:, None] - math.sqrt(ab) * mus) ** 2 / (2 * var_t) - 0.5 * math.log(2 * math.pi * var_t)
            return torch.logsumexp(comps, 1) - math.log(2)


        g = gen(6)
        n = 4_000_000
        x0 = mus[torch.randint(0, 2, (n,), generator=g)] + sd * torch.randn(n, generator=g, dtype=torch.float64)
        eps = torch.randn(n, generator=g, dtype=torch.float64)
        xt = math.sqrt(ab) * x0 + math.sqrt(1 - ab) * eps
        points = torch.tensor([-1.5, -0.5, 0.2, 1.0], dtype=torch.float64, requires_grad=True)
        score = torch.autograd.grad(log_q_t(points).sum(), points)[0].detach()
        points = points.detach()
        print(f"{'x_t':>6}{pad(T('E[eps|x_t]: MC', 'E[eps|x_t]：蒙特卡洛'), 18)}{pad(T('from score', '由得分换算'), 13)}{pad(T('E[x0|x_t]: MC', 'E[x0|x_t]：蒙特卡洛'), 18)}{pad(T('Tweedie', 'Tweedie 公式'), 12)}")
        for p, sc in zip(points, score):
            near = (xt - p).abs() < 0.01
            eps_from_score = float(D.score_to_eps(sc.view(1), t, linear))
            tweedie = (float(p) + (1 - ab) * float(sc)) / math.sqrt(ab)
            print(f"{float(p):>6.2f}{float(eps[near].mean()):>18.3f}{eps_from_score:>13.3f}{float(x0[near].mean()):>18.3f}{tweedie:>12.3f}")
        """
    ),
    # ---------------------------------------------------------------------------------- ring toy
    md(
        en=r"""
        ## 7.5 The ring of eight Gaussians

        Chapter 2 trained GANs on eight tight Gaussians on a circle and measured how many modes they covered.
        Here a small MLP $\varepsilon_\theta(x_t, t)$ (two inputs plus a sinusoidal embedding of $t$, three hidden
        layers) is trained on $L_\text{simple}$ with $T = 100$ steps of the cosine schedule, and sampled with the
        DDPM ancestral sampler: $x_T \sim \mathcal N(0, I)$, then $x_{t-1} = \tilde\mu_t(x_t, \hat x_0) + \sqrt{\tilde\beta_t}\,z$
        for $t = T, \dots, 1$. Beside it stand chapter 2's run A (balanced learning rates) and run B (the generator
        outpaces the discriminator), all measured with `mode_coverage`: modes covered, the share of high-quality
        samples (within three standard deviations of a centre), and KL(modes ‖ uniform). Single GAN runs are
        chaotic (chapter 2), so the comparison is drawn over the 20 seeds of chapter 2's study, which also
        trained this diffusion toy once per seed; the run below is seed 0 again, live.
        """,
        zh=r"""
        ## 7.5 八个高斯组成的圆环

        第 2 章在圆周上八个紧凑的高斯分布上训练生成对抗网络，并测量它们覆盖了几个模式。这里用一个小型 MLP $\varepsilon_\theta(x_t, t)$
        （输入为两个坐标加上 $t$ 的正弦嵌入，三个隐藏层），在 $T = 100$ 步的余弦调度下用 $L_\text{simple}$ 训练，
        再用 DDPM 的祖先采样来生成：$x_T \sim \mathcal N(0, I)$，然后对 $t = T, \dots, 1$ 依次取
        $x_{t-1} = \tilde\mu_t(x_t, \hat x_0) + \sqrt{\tilde\beta_t}\,z$。作为对照，用同样的代码和设置重新训练第 2 章的训练 A（学习率平衡）
        和训练 B（生成器跑在判别器前面），全部用 `mode_coverage` 来测量：覆盖的模式数、高质量样本（离某个中心不超过三个标准差）的比例，
        以及模式分布与均匀分布之间的 KL 散度。单次 GAN 训练是混沌的（见第 2 章），所以这里的比较基于第 2 章研究中的 20 个种子——
        那项研究也为每个种子训练了一遍这个扩散小模型；下面当场运行的是其中的种子 0。
        """,
    ),
    code(
        """
        RING_STD = 0.05
        ring = ring_of_gaussians(8192, modes=8, radius=2.0, std=RING_STD, generator=gen(1))
        toy_schedule = D.cosine_schedule(100)
        torch.manual_seed(0)
        toy = ToyDenoiser(hidden=128, layers=3)
        toy_losses = train_toy(toy, ring, toy_schedule, steps=2000, batch_size=512, lr=2e-3, seed=0)
        toy_times, toy_path = sample_toy(toy, 1000, toy_schedule, generator=gen(1000))
        c = mode_coverage(toy_path[-1], modes=8, radius=2.0, std=RING_STD)
        print(T("diffusion, seed 0, live:", "扩散模型，种子 0，当场运行："), c.modes_covered, T("modes, quality", "个模式，高质量比例"), f"{c.high_quality:.3f}", f"KL {c.kl_to_uniform:.3f}")

        study = ring_study.load_ring_study()
        n = len(study.seeds)
        rows = {T("diffusion (DDPM, T = 100)", "扩散模型（DDPM，T = 100）"): "diffusion",
                T("GAN, chapter 2 run A", "GAN，第 2 章训练 A"): "A", T("GAN, chapter 2 run B", "GAN，第 2 章训练 B"): "B"}
        print(T(f"over {n} seeds, mean [95% interval]:", f"{n} 个种子，平均值 [95% 置信区间]："))
        print(f"{pad(T('samples', '样本'), 30, '<')}{pad(T('all 8 modes', '覆盖全部 8 个'), 14)}{pad(T('quality', '高质量比例'), 22)}{'KL(p||U)':>22}")
        quality, kl = {}, {}
        for label, key in rows.items():
            quality[key] = seed_interval(study.final(key, "quality"), bounds=(0, 1))
            kl[key] = seed_interval(study.final(key, "kl"), bounds=(0, math.log(8)))
            print(f"{pad(label, 30, '<')}{f'{int(study.all_modes(key).sum())}/{n}':>14}{quality[key].format(3):>22}{kl[key].format(3):>22}")
        for what, d, higher in ((T("quality", "高质量比例"), quality, True), ("KL", kl, False)):
            v = verdict(d["diffusion"], d["A"], names=(T("diffusion", "扩散模型"), T("GAN run A", "GAN 训练 A")), higher_is_better=higher)
            print(T(f"{what}, diffusion vs GAN run A:", f"{what}，扩散模型对 GAN 训练 A："), T(f"{v.winner} is better", f"更好的是：{v.winner}") if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))
        """
    ),
    md(
        en=r"""
        The reverse process, step by step: the cloud starts as a standard Gaussian, contracts towards the circle,
        and splits into the eight modes only in the last steps, when the noise level has fallen below the
        distance between neighbouring modes. Each mode is reached by the points that happened to start in its
        direction, and nothing in the training rewards dropping a mode, as the adversarial game can reward a
        GAN's generator. That does not make the diffusion model perfect: denoising score matching is nearly blind
        to the *weights* of well-separated modes (between them the score is almost zero), so the shares it gives
        the eight modes are only approximately equal — the small but non-zero KL in the table.
        """,
        zh=r"""
        下面逐步展示反向过程：点云一开始是标准高斯分布，先向圆周收缩，直到最后几步——噪声水平降到相邻模式之间的距离以下时——
        才分成八个模式。每个模式都由恰好从它那个方向出发的点到达，训练中也没有任何东西会奖励丢掉某个模式——而对抗博弈却可能这样奖励生成对抗网络的生成器。
        但这并不意味着扩散模型完美无缺：去噪得分匹配几乎看不到相距很远的各模式的*权重*（模式之间的得分几乎为零），
        因此它分给八个模式的份额只是大致相等——这就是表中那个很小但不为零的 KL。
        """,
    ),
    code(
        """
        show_t = [100, 60, 30, 15, 5, 0]
        fig, axes = plt.subplots(1, len(show_t), figsize=(15, 2.8), sharex=True, sharey=True)
        centres = ring_centers()
        for ax, t_show in zip(axes, show_t):
            pts = toy_path[toy_times.index(t_show)]
            ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5)
            ax.scatter(centres[:, 0], centres[:, 1], s=20, c="red", marker="x")
            ax.set_title(f"t = {t_show}")
            ax.set_xlim(-3.5, 3.5)
            ax.set_ylim(-3.5, 3.5)
            ax.set_aspect("equal")
        fig.suptitle(T("reverse process on the ring (red crosses: the eight modes)", "圆环上的反向过程（红色叉号：八个模式）"), y=1.04)
        plt.show()
        """
    ),
    # ---------------------------------------------------------------------------------- MNIST
    md(
        en=r"""
        ## 7.6 A diffusion model for MNIST

        `course_lib.models.diffusion_unet.DiffusionUNet` is a small UNet for $\varepsilon_\theta(x_t, t, y)$. To be fast
        on a CPU, it first rearranges each $28\times 28$ image into four $14\times 14$ channels (pixel unshuffle)
        and works at $14\times 14$ and $7\times 7$; each level has residual blocks (group normalisation, SiLU,
        $3\times 3$ convolutions) into which the embedding of $t$ is added, with skip connections from the
        downward path to the upward path. The class label $y\in\{0,\dots,9\}$ enters through an embedding added
        to that of $t$, and an eleventh class $\varnothing$ means "no label": during training a label is replaced
        by $\varnothing$ with probability 0.2, so that one network is both the conditional and the
        unconditional model. The noise schedule is cosine with $T = 1000$; the weights saved are an
        exponential moving average of the trained ones. The shipped checkpoint was made by the command in its
        model card:
        """,
        zh=r"""
        ## 7.6 MNIST 上的扩散模型

        `course_lib.models.diffusion_unet.DiffusionUNet` 是一个计算 $\varepsilon_\theta(x_t, t, y)$ 的小型 UNet。为了在 CPU 上跑得快，
        它先把每张 $28\times 28$ 的图像重排成四个 $14\times 14$ 的通道（像素反混洗），然后在 $14\times 14$ 和 $7\times 7$ 两个分辨率上计算；
        每一层都有残差块（组归一化、SiLU、$3\times 3$ 卷积），$t$ 的嵌入加在其中，下行路径通过跳跃连接接到上行路径。
        类别标签 $y\in\{0,\dots,9\}$ 经过一个嵌入后加到 $t$ 的嵌入上；第十一个类别 $\varnothing$ 表示“没有标签”：
        训练时每个标签以 0.2 的概率被替换成 $\varnothing$，于是同一个网络既是条件模型，也是无条件模型。噪声调度为余弦调度，$T = 1000$；
        保存的权重是训练权重的指数滑动平均。随书附带的检查点由模型卡中记录的命令训练而成：
        """,
    ),
    code(
        """
        model, card = load_diffusion()
        # en: every epoch takes full minibatches only
        # zh: 每一轮只取完整的小批量
        optimiser_steps = card["epochs"] * (len(x_train) // card["batch_size"])
        print(T("parameters:", "参数量："), f"{card['parameters']:,}", T("| epochs:", "| 轮数："), card["epochs"],
              T("| optimiser steps:", "| 优化步数："), f"{optimiser_steps:,}",
              T("| training time:", "| 训练时间："), f"{card['wall_time_s'] / 60:.0f}", T("min on one CPU thread", "分钟（单个 CPU 线程）"))
        # en: a run that was resumed records each command with its epochs; a single run has one command
        # zh: 中途续训过的训练会记下每条命令及其轮数；一次跑完的训练只有一条命令
        for c in card.get("commands") or [{"command": card["command"], "epochs": [1, card["epochs"]]}]:
            a, b = c["epochs"]
            print(T(f"epochs {a}-{b}:", f"第 {a}-{b} 轮："), c["command"])
        torch.manual_seed(0)
        with torch.no_grad():
            grid_samples = model.sample(40, generator=gen(0), steps=20)
        show_images(grid_samples, nrow=20, title=T("unconditional samples, DDIM with 20 steps", "无条件样本，DDIM 20 步"))
        plt.show()
        """
    ),
    md(
        en=r"""
        ### DDPM against DDIM: quality against the number of steps

        DDPM's ancestral sampler takes one network evaluation per step of the chain, $T = 1000$ of them.
        **DDIM** {cite:p}`song2021ddim` uses the same trained network on a short, evenly spaced subsequence
        $\tau_S > \dots > \tau_1$ of times. From $x_{\tau_i}$ it predicts $\hat x_0$ and the noise $\hat\varepsilon$,
        and jumps with

        $$
        x_{\tau_{i-1}} = \sqrt{\bar\alpha_{\tau_{i-1}}}\,\hat x_0 + \sqrt{1-\bar\alpha_{\tau_{i-1}}-\sigma^2}\,\hat\varepsilon + \sigma z,\qquad
        \sigma = \eta\sqrt{\tfrac{1-\bar\alpha_{\tau_{i-1}}}{1-\bar\alpha_{\tau_i}}}\sqrt{1-\tfrac{\bar\alpha_{\tau_i}}{\bar\alpha_{\tau_{i-1}}}} .
        $$

        With $\eta = 0$ the sampler is deterministic; with $\eta = 1$ and consecutive times it is exactly DDPM's
        ancestral step (a unit test checks this, and checks both updates against the schedulers of the
        `diffusers` library). With $\eta = 1$ on a subsequence it is the ancestral sampler with larger steps,
        which we call "DDPM" below. Each row: 1,000 unconditional samples, Fréchet distance to the 4,000
        training digits and class coverage with chapter 5's classifier, and seconds per image on one CPU thread.
        These numbers take minutes to compute, so `bench/diffusion.py` measured them once and stored them in the
        model card; the DCGAN's Fréchet distance is computed here under the same protocol:
        """,
        zh=r"""
        ### DDPM 与 DDIM：质量与步数

        DDPM 的祖先采样对链上的每一步都要计算一次网络，共 $T = 1000$ 次。**DDIM** {cite:p}`zh-song2021ddim` 使用同一个训练好的网络，
        但只在一个均匀间隔的短时间子序列 $\tau_S > \dots > \tau_1$ 上走。从 $x_{\tau_i}$ 出发，它先预测 $\hat x_0$ 和噪声 $\hat\varepsilon$，再一步跳到

        $$
        x_{\tau_{i-1}} = \sqrt{\bar\alpha_{\tau_{i-1}}}\,\hat x_0 + \sqrt{1-\bar\alpha_{\tau_{i-1}}-\sigma^2}\,\hat\varepsilon + \sigma z,\qquad
        \sigma = \eta\sqrt{\tfrac{1-\bar\alpha_{\tau_{i-1}}}{1-\bar\alpha_{\tau_i}}}\sqrt{1-\tfrac{\bar\alpha_{\tau_i}}{\bar\alpha_{\tau_{i-1}}}} .
        $$

        $\eta = 0$ 时采样是确定性的；$\eta = 1$ 且时间连续时，它恰好就是 DDPM 的祖先采样步（有单元测试检查这一点，
        并把两种更新与 `diffusers` 库的调度器逐一对照）。$\eta = 1$ 而在子序列上走时，就是步子更大的祖先采样，下文称之为“DDPM”。
        每一行：1,000 个无条件样本，用第 5 章的分类器计算它们与 4,000 个训练数字之间的弗雷歇距离和类别覆盖，以及单个 CPU 线程上每张图像的秒数。
        这些数字要算好几分钟，所以由 `bench/diffusion.py` 测一次并存进模型卡；DCGAN 的弗雷歇距离则在这里按同样的评测方案当场计算：
        """,
    ),
    code(
        """
        # en: the DCGAN's FD from the same function as in chapter 5: the same number in both chapters
        # zh: DCGAN 的 FD 与第 5 章出自同一个函数：两章打印的是同一个数
        fd_dcgan, fd_dcgan_draws = checkpoint_fd(shipped_checkpoint("dcgan_offline"))
        study = card["study"]
        rows = study["sampling"]["rows"]
        draws = rows[0]["draws"]

        def lower_fd(a, b, names):
            v = verdict(row_interval(a), row_interval(b), names=names, higher_is_better=False)
            return v.winner if v.decided else T("no difference", "看不出差别")

        main = {(r["sampler"], r["steps"]): r for r in rows if r["clip"] and r["sampler"] in ("ddim", "ddpm")}
        step_counts = sorted({k for _, k in main})
        print(T(f"{draws} draws of 1,000 unconditional samples vs the 4,000 training digits (features of chapter 5's classifier), 95% intervals",
                f"{draws} 次各抽 1,000 个无条件样本，对比 4,000 张训练数字（特征取自第 5 章的分类器），95% 置信区间"))
        print(f"{pad(T('steps', '步数'), 6)}{'DDIM FD':>22}{'KL':>8}{'DDPM FD':>22}{'KL':>8}{pad(T('lower FD', 'FD 更低'), 14)}{pad(T('s / image', '秒/张'), 10)}")
        for k in step_counts:
            a, b = main["ddim", k], main["ddpm", k]
            print(f"{k:>6}{row_interval(a).format(1):>22}{a['kl_to_uniform']:>8.3f}{row_interval(b).format(1):>22}{b['kl_to_uniform']:>8.3f}"
                  f"{pad(lower_fd(a, b, ('DDIM', 'DDPM')), 14)}{a['seconds_per_image']:>10.3f}")
        print(T("DCGAN (chapter 5), same protocol: FD", "DCGAN（第 5 章），同一评测方案：FD"), fd_dcgan.format(1))
        print(T("verdict: all ten digits present in every draw of every row above:", "结论：上表每一行的每一次抽样都出现了全部十个数字："),
              T("yes", "是") if all(r["classes_present"] == 10 for r in main.values()) else T("no", "否"))
        best = min(main.values(), key=lambda r: r["fd"])
        # en: the best of len(main) rows is picked after looking at them all: each interval is widened so that all
        # en: len(main) comparisons with the DCGAN hold together at 95% (Bonferroni: level 1 − 0.05 / len(main))
        # zh: 最好的一行是看过全部 len(main) 行之后才挑出来的：把每个区间放宽，让与 DCGAN 的 len(main) 次比较合起来仍有 95% 的把握
        # zh: （Bonferroni 校正：置信水平取 1 − 0.05 / len(main)）
        level = 1 - 0.05 / len(main)
        wide_best, wide_dcgan = seed_interval(best["fd_draws"], level=level), seed_interval(fd_dcgan_draws, level=level)
        v = verdict(wide_best, wide_dcgan, names=(T("the diffusion model", "扩散模型"), "DCGAN"), higher_is_better=False)
        print(T(f"verdict: the lowest of {len(main)} diffusion FDs, {best['sampler'].upper()} with {best['steps']} steps, against the DCGAN;",
                f"结论：{len(main)} 个扩散 FD 中最低的（{best['sampler'].upper()}，{best['steps']} 步）对 DCGAN；"),
              T(f"{level:.1%} intervals for a best of {len(main)}:", f"为“{len(main)} 行中挑最好的”放宽到 {level:.1%} 的区间："),
              wide_best.format(1), T("vs", "对"), wide_dcgan.format(1), T("→", "→"),
              T(f"lower: {v.winner}", f"更低的是：{v.winner}") if v.decided else T("no difference at this budget", "在这个预算下看不出差别"))
        fig, ax = plt.subplots(figsize=(5.5, 3.4))
        for name, label in (("ddim", T("DDIM (eta = 0)", "DDIM（eta = 0）")), ("ddpm", T("DDPM ancestral (eta = 1)", "DDPM 祖先采样（eta = 1）"))):
            pts = [main[name, k] for k in step_counts]
            ax.errorbar(step_counts, [r["fd"] for r in pts], yerr=[[r["fd"] - r["fd_low"] for r in pts], [r["fd_high"] - r["fd"] for r in pts]],
                        fmt="o-", capsize=3, label=label)
        ax.axhspan(fd_dcgan.low, fd_dcgan.high, color="0.85", label=T("DCGAN (95% interval)", "DCGAN（95% 置信区间）"))
        ax.set_xscale("log")
        ax.set_xticks(step_counts, [str(k) for k in step_counts])
        ax.minorticks_off()
        ax.set_xlabel(T("network evaluations (steps)", "网络计算次数（步数）"))
        ax.set_ylabel(T("Fréchet distance (lower is better)", "弗雷歇距离（越低越好）"))
        ax.legend()
        plt.show()
        """
    ),
    md(
        en=r"""
        **Why does DDPM win here?** Song et al. found DDIM ahead at few steps for their well-trained models, so
        this model's opposite result needs a look. Two candidates: the fresh noise of each ancestral step may
        wash out part of the network's error, which a deterministic sampler carries to the end — then a half-way
        $\eta$ should land in between; or our samplers' **clipping** of $\hat x_0$ to the data range $[-1, 1]$
        (`predict_x0_and_eps(clip=1)`, the default of both updates) may favour one of them. `bench/diffusion.py
        --investigate 20` measured both at 20 steps, with the same three draws:
        """,
        zh=r"""
        **为什么这里 DDPM 占优？** Song 等人发现，对他们充分训练的模型，步数少时 DDIM 领先；所以这个模型得出相反的结果，需要查一查。
        有两种可能：每一步祖先采样加入的新噪声也许冲淡了网络的一部分误差，而确定性采样把误差一直带到终点——那么取一半的
        $\eta$ 应该落在两者之间；或者我们的采样器把 $\hat x_0$ 截断到数据范围 $[-1, 1]$ 的做法（`predict_x0_and_eps(clip=1)`，
        两种更新默认都这样做）偏袒了其中一方。`bench/diffusion.py --investigate 20` 在 20 步上把两者都测了，用的是同样的三次抽样：
        """,
    ),
    code(
        """
        probe = sorted((r for r in rows if r["steps"] == 20), key=lambda r: (not r["clip"], r["eta"]))
        print(f"{'η':>5}{pad(T('clip x0', '截断 x0'), 10)}{'FD [95%]':>26}{'KL':>8}{pad(T('classes', '类别数'), 9)}")
        for r in probe:
            print(f"{r['eta']:>5.1f}{pad((T('yes', '是') if r['clip'] else T('no', '否')), 10)}{row_interval(r).format(1):>26}{r['kl_to_uniform']:>8.3f}{r['classes_present']:>9}")
        by = {(r["eta"], r["clip"]): r for r in probe}
        print(T("η = 0.5 against η = 0 (clipped), lower FD:", "η = 0.5 对 η = 0（截断），FD 更低："), lower_fd(by[0.5, True], by[0.0, True], ("η = 0.5", "η = 0")))
        print(T("η = 0.5 against η = 1 (clipped), lower FD:", "η = 0.5 对 η = 1（截断），FD 更低："), lower_fd(by[0.5, True], by[1.0, True], ("η = 0.5", "η = 1")))
        print(T("clipping, DDIM: lower FD", "截断与否，对 DDIM：FD 更低的是"), lower_fd(by[0.0, True], by[0.0, False], (T("with", "截断"), T("without", "不截断"))),
              T("| DDPM: lower FD", "| 对 DDPM：FD 更低的是"), lower_fd(by[1.0, True], by[1.0, False], (T("with", "截断"), T("without", "不截断"))))
        print(T("without clipping, lower FD:", "不截断时 FD 更低："), lower_fd(by[1.0, False], by[0.0, False], ("DDPM", "DDIM")))
        """
    ),
    md(
        en=r"""
        What the two tables say. A large ancestral step adds fresh noise that the few remaining steps must remove
        again, so with few steps the deterministic sampler was expected to do better — that is what Song et al.
        report for their well-trained models. This small model does the opposite: where the sampling table names
        a winner at few steps it is DDPM, and with more steps the intervals overlap. The probe at 20 steps says
        why, as far as it can. The Fréchet distance falls as $\eta$ grows from 0 through 0.5 to 1, each step
        separated from the next by its interval — what one expects if the fresh noise of an ancestral step
        washes out part of the error of the network's last prediction, while the deterministic sampler carries
        every error to the end. Clipping does not favour either sampler: without it *both* break down (Fréchet
        distances in the thousands, a few classes left), so this network's $\hat x_0$ at the noisy end of the
        chain lies far outside the data range, and both samplers lean on the clip. A network that errs less
        leaves the noise less to repair; there, Song et al.'s ranking is the one to expect. Class
        coverage is the diffusion model's strong side in principle: trained by regression on every training
        digit, it has no mechanism that rewards dropping a class, unlike a GAN's generator. Its weak side on
        this machine is cost: this network is small and was trained on one CPU thread for the time and the
        number of optimiser steps printed above (diffusion models are usually trained for hundreds of thousands
        of steps), and every sample costs as many network evaluations as there are steps — the last column against the DCGAN's
        single pass. The last verdict line compares it with the DCGAN on the same ruler. Its diffusion side is the
        best of all the rows, picked after looking at them, and the best of several noisy numbers is lucky as well
        as good; so both intervals are widened until all the rows' comparisons with the DCGAN hold together at 95 %
        (the Bonferroni correction) before a winner may be named.

        ### Classifier-free guidance

        The same network gives a conditional prediction $\varepsilon_\theta(x_t, y)$ and an unconditional one
        $\varepsilon_\theta(x_t, \varnothing)$. **Classifier-free guidance** {cite:p}`ho2022cfg` samples with

        $$
        \tilde\varepsilon = (1+w)\,\varepsilon_\theta(x_t, y) - w\,\varepsilon_\theta(x_t, \varnothing),
        $$

        which, through the score relation of section 7.4, follows $\nabla\log p(x_t\mid y) + w\,\nabla\log p(y\mid x_t)$:
        the conditional score plus $w$ times the score of an *implicit classifier*. $w = 0$ is the plain
        conditional model; larger $w$ trades diversity for samples that are more clearly of their class. Below:
        100 samples per digit (DDIM, 20 steps), the Fréchet distance of the 1,000, and the share that chapter 5's
        classifier labels as the digit that was asked for, each Fréchet distance over three draws with its 95%
        interval. The verdict lines say whether the accuracy rises with $w$, whether the lowest Fréchet distance
        can be told from the runner-up's, and whether the highest stands clearly above the rest: the distance
        also measures spread, which guidance that is too strong gives away by pushing every sample towards the
        most typical digit of its class.
        """,
        zh=r"""
        这两张表说明了什么。每一大步祖先采样都会加入新的噪声，剩下的几步还得把它去掉，所以原本预期步数少时确定性采样更好——
        Song 等人对他们充分训练的模型报告的正是这样的结果。这个小模型却正好相反：采样表在步数少时判出的赢家是 DDPM，步数多时两者的区间相互重叠。
        20 步上的探查尽其所能地回答了原因。随着 $\eta$ 从 0 经 0.5 增大到 1，弗雷歇距离逐级下降，相邻两级的区间彼此分开——
        如果祖先采样每一步加入的新噪声冲淡了网络上一次预测的一部分误差，而确定性采样把每一个误差都带到终点，结果正应如此。
        截断并没有偏袒哪一种采样：不截断时*两者*都崩溃了（弗雷歇距离上千，只剩下几个类别），可见这个网络在链的高噪声一端给出的
        $\hat x_0$ 远远超出数据范围，两种采样都靠截断撑着。网络的误差越小，需要噪声去修补的就越少；在那种情况下，Song 等人的排序才是应当预期的。
        类别覆盖在原理上是扩散模型的长处：它是在每一个训练数字上做回归训练出来的，不像生成对抗网络的生成器那样，
        有任何机制会因为丢掉某个类别而得到好处。它在这台机器上的短处是代价：这个网络很小，只在单个 CPU 线程上训练了上面打印的时间和优化步数
        （而扩散模型通常要训练几十万步），而且每个样本都要计算和步数一样多次的网络——最后一列与 DCGAN 只需一次前向计算相比较。
        最后一行结论用同一把标尺把它与 DCGAN 相比。结论里扩散模型的一方是看过所有行之后挑出的最好一行，而几个带噪声的数中最好的那个，
        既靠实力也靠运气；所以先把两边的区间放宽，使所有行与 DCGAN 的比较合起来仍有 95% 的把握（Bonferroni 校正），然后才能判出胜负。

        ### 分类器无关引导

        同一个网络既给出条件预测 $\varepsilon_\theta(x_t, y)$，也给出无条件预测 $\varepsilon_\theta(x_t, \varnothing)$。
        **分类器无关引导** {cite:p}`zh-ho2022cfg` 用下式采样：

        $$
        \tilde\varepsilon = (1+w)\,\varepsilon_\theta(x_t, y) - w\,\varepsilon_\theta(x_t, \varnothing),
        $$

        借助第 7.4 节的得分关系可以看出，它沿着 $\nabla\log p(x_t\mid y) + w\,\nabla\log p(y\mid x_t)$ 前进：条件得分加上 $w$ 倍的一个*隐式分类器*的得分。
        $w = 0$ 就是普通的条件模型；$w$ 越大，就越是用多样性去换取类别更分明的样本。下面每个数字取 100 个样本（DDIM，20 步），
        给出这 1,000 个样本的弗雷歇距离（三次抽样，附 95% 置信区间），以及被第 5 章的分类器判为所要求数字的比例。表下的几行结论给出：
        准确率是否随 $w$ 上升，最低的弗雷歇距离能否与次低的区分开，以及最高的是否明显高于其余各行。这个距离也衡量样本的分散程度，
        而过强的引导会把每个样本都推向它那一类中最典型的数字，从而丢掉这种分散。
        """,
    ),
    code(
        """
        grows = study["guidance"]["rows"]
        print(T("1,000 conditional samples (100 per digit, DDIM with 20 steps) vs the 4,000 training digits",
                "1,000 个条件样本（每个数字 100 个，DDIM 20 步）对比 4,000 张训练数字"))
        print(f"{'w':>5}{pad(T('FD [95%]', 'FD [95%]'), 22)}{pad(T('accuracy', '准确率'), 10)}   " + T("per digit 0-9 (first draw)", "各数字 0-9（第一次抽样）"))
        for r in grows:
            print(f"{r['w']:>5.1f}{row_interval(r).format(1):>22}{r['accuracy']:>10.3f}   " + " ".join(f"{a:.2f}" for a in r["per_class_accuracy"]))
        rising = all(a["accuracy"] <= b["accuracy"] for a, b in zip(grows, grows[1:]))
        ranked = sorted(grows, key=lambda r: r["fd"])
        v = verdict(row_interval(ranked[0]), row_interval(ranked[1]), names=(f"w = {ranked[0]['w']:g}", f"w = {ranked[1]['w']:g}"), higher_is_better=False)
        print(T("verdict: accuracy rises with w:", "结论：准确率随 w 上升："), T("yes", "是") if rising else T("no", "否"))
        print(T("verdict: lowest FD:", "结论：FD 最低："), v.winner if v.decided else
              T(f"no difference at this budget between w = {ranked[0]['w']:g} and w = {ranked[1]['w']:g}",
                f"在这个预算下，w = {ranked[0]['w']:g} 与 w = {ranked[1]['w']:g} 看不出差别"),
              T(f"| highest FD at w = {ranked[-1]['w']:g}, clearly above the others:", f"| FD 最高处 w = {ranked[-1]['w']:g}，明显高于其余各行："),
              T("yes", "是") if all(row_interval(ranked[-1]).low > row_interval(r).high for r in ranked[:-1]) else T("no", "否"))
        # en: a few guided samples, computed here: one row per guidance weight, digits 0-9
        # zh: 当场生成几个引导样本：每个引导权重一行，数字 0-9
        labels = torch.arange(10)
        guided = [model.sample(10, generator=gen(4), steps=20, y=labels, guidance=r["w"]) for r in grows]
        show_images(torch.cat(guided), nrow=10, labels=[f"w={r['w']:g}" if k == 0 else "" for r in grows for k in range(10)],
                    title=T("conditional samples: rows w = 0, 1, 3; columns digits 0-9", "条件样本：各行 w = 0、1、3；各列为数字 0-9"))
        plt.show()
        """
    ),
    md(
        en=r"""
        ### Why are the unconditional samples so much farther away?

        The sampling table measured unconditional samples and the guidance table conditional ones, both with DDIM
        and 20 steps, on the same ruler, and the conditional samples at $w = 0$ come out far closer to the
        training digits. Two explanations compete. **The class mix**: the conditional set holds exactly 100 of
        each digit, as the training set does, while the unconditional set holds whatever mix the model draws; the
        classifier's features form one cluster per digit, and the Fréchet distance compares the mean and
        covariance of the whole mixture, so the proportions alone move it. **The digits themselves**: the
        unconditional prediction $\varepsilon_\theta(x_t, \varnothing)$ learned from only the fifth of each
        minibatch whose labels were dropped, and it must choose which digit to draw as well as draw it.

        The measurement below separates the two, each row over three draws with its 95% interval. Real held-out
        digits are resampled (with replacement, within each digit) to 100 per digit and to the class mix that the
        classifier finds in the unconditional samples: the effect of the mix alone, on digits that are all real.
        The unconditional samples are resampled to 100 per predicted digit: their distance at the conditional
        set's mix. The first row, the held-out digits as they are, is the floor of this ruler.
        """,
        zh=r"""
        ### 无条件样本为什么离训练数据远得多？

        采样表量的是无条件样本，引导表量的是条件样本，两者都用 20 步 DDIM、同一把标尺；而 $w = 0$ 时的条件样本离训练数字要近得多。
        有两种解释。**一是类别比例**：条件样本恰好每个数字 100 张，与训练集一样；无条件样本的比例则是模型自己抽出来的。
        分类器的特征按数字各自聚成一团，而弗雷歇距离比较的是整个混合分布的均值和协方差，所以单是比例变了，距离就会变。
        **二是数字本身的质量**：无条件预测 $\varepsilon_\theta(x_t, \varnothing)$ 只从每个小批量中标签被丢弃的那五分之一样本里学习，
        而且它既要决定画哪个数字，又要把它画出来。

        下面的测量把这两者分开，每一行都是三次抽样的结果，附 95% 置信区间。先把真实的留出数字在每个数字内部有放回地重抽样，
        一次抽成每个数字 100 张，一次抽成分类器在无条件样本中看到的类别比例：这是单单类别比例的影响，而数字全是真实的。
        再把无条件样本按预测的数字重抽样成每个数字 100 张：这是它们在条件样本那种比例下的距离。第一行是原样的留出数字，也就是这把标尺的下限。
        """,
    ),
    code(
        """
        cm = study["class_mix"]
        mix = {r["set"]: row_interval(r, "fd", draws=cm["draws"]) for r in cm["rows"]}
        mix_rows = {"real_heldout": T("1 real held-out digits, as they are", "1 真实留出数字，原样"),
                    "real_balanced": T("2 real, resampled: 100 per digit", "2 真实数字，重抽样：每个数字 100 张"),
                    "real_with_unconditional_mix": T("3 real, resampled: the unconditional mix", "3 真实数字，重抽样：无条件样本的比例"),
                    "unconditional": T("4 unconditional samples, as drawn", "4 无条件样本，原样"),
                    "unconditional_rebalanced": T("5 unconditional, resampled: 100 per digit", "5 无条件样本，重抽样：每个数字 100 张"),
                    "conditional_w0": T("6 conditional samples, w = 0", "6 条件样本，w = 0")}
        print(T(f"{cm['draws']} draws of 1,000 images vs the 4,000 training digits (DDIM, 20 steps), 95% intervals",
                f"{cm['draws']} 次各取 1,000 张图像，对比 4,000 张训练数字（DDIM，20 步），95% 置信区间"))
        for key, name in mix_rows.items():
            print(f"{pad(name, 46, '<')}{mix[key].format(1):>22}")
        print(T(f"KL(class shares of the unconditional samples || uniform): {cm['unconditional_kl_to_uniform']:.3f} nats",
                f"无条件样本的类别比例与均匀分布的 KL 散度：{cm['unconditional_kl_to_uniform']:.3f} 奈特"))
        gap = mix["unconditional"].estimate - mix["conditional_w0"].estimate
        on_real = mix["real_with_unconditional_mix"].estimate - mix["real_balanced"].estimate
        on_samples = mix["unconditional"].estimate - mix["unconditional_rebalanced"].estimate
        print(T(f"the gap, row 4 - row 6: {gap:.1f}", f"差距，第 4 行减第 6 行：{gap:.1f}"))
        print(T(f"the class mix alone, on real digits (row 3 - row 2): {on_real:.1f}, {on_real / gap:.0%} of the gap",
                f"单是类别比例，在真实数字上（第 3 行减第 2 行）：{on_real:.1f}，占差距的 {on_real / gap:.0%}"))
        print(T(f"the class mix, on the samples (row 4 - row 5): {on_samples:.1f}, {on_samples / gap:.0%} of the gap",
                f"类别比例，在样本上（第 4 行减第 5 行）：{on_samples:.1f}，占差距的 {on_samples / gap:.0%}"))
        v_mix = verdict(mix["real_balanced"], mix["real_with_unconditional_mix"], higher_is_better=False,
                        names=(T("100 per digit", "每个数字 100 张"), T("the unconditional mix", "无条件样本的比例")))
        print(T("verdict: real digits, lower FD:", "结论：真实数字中 FD 更低的是："),
              v_mix.winner if v_mix.decided else T("no difference at this budget", "在这个预算下看不出差别"))
        v_same = verdict(mix["conditional_w0"], mix["unconditional_rebalanced"], higher_is_better=False,
                         names=(T("conditional", "条件样本"), T("unconditional", "无条件样本")))
        print(T("verdict: at the same mix (row 5 vs row 6), lower FD:", "结论：比例相同时（第 5 行对第 6 行）FD 更低的是："),
              v_same.winner if v_same.decided else T("no difference at this budget", "在这个预算下看不出差别"))
        """
    ),
    md(
        en=r"""
        Read the rows in pairs. Rows 2 and 3 hold real digits that differ only in their proportions, and the first
        verdict says whether the mix alone moves the ruler: it does, by the share of the gap printed above, since
        a digit that is too rare or too common shifts the mean and covariance of the features. Rows 4 and 5 make
        the same change on the samples. Whatever the mix does not explain is the quality of the digits: the second
        verdict compares the two models at the same mix. So the gap says less about how a diffusion model draws
        than about this network's unconditional branch, trained on a fifth of the data it saw with labels — the
        same branch that guidance subtracts, $-w\,\varepsilon_\theta(x_t, \varnothing)$. Two lessons for reading
        any Fréchet distance: a set whose class proportions differ from the reference's pays for it even when
        every image is perfect, so compare models at the same class mix; and the floor in row 1 moves when the set
        is resampled (row 2 repeats digits), so compare sets built the same way.
        """,
        zh=r"""
        这几行要两两对照着读。第 2 行和第 3 行都是真实数字，只是比例不同；第一行结论说明单是比例能不能挪动这把尺子——它能，挪动的幅度就是上面打印的那个比例，
        因为某个数字太少或太多，都会让特征的均值和协方差偏离。第 4 行和第 5 行在样本上做同样的改变。比例解释不了的部分，就是数字本身的质量：
        第二行结论在相同比例下比较两种样本。所以这个差距说明的与其说是扩散模型怎样生成，不如说是这个网络的无条件分支——它只用带标签数据的五分之一训练过，
        而引导恰恰要减去它，即 $-w\,\varepsilon_\theta(x_t, \varnothing)$。读任何弗雷歇距离都可以记住两点：一组图像的类别比例若与参照集不同，
        即使每张图都完美，也要为此付出代价，所以应当在相同的类别比例下比较模型；重抽样会让第 1 行的下限也跟着变（第 2 行里有重复的数字），
        所以只应比较以同样方式得到的图像集。
        """,
    ),
    md(
        en=r"""
        ### A likelihood bound in bits per dimension

        The bound of section 7.3 can be evaluated for the trained network (`D.likelihood_bound`, with $\hat x_0$
        clipped to $[-1, 1]$ in every term, as the samplers clip it: the bound is that of the reverse process the
        samplers run): $L_T$ in closed form, the sum over $t = 2..T$ computed term by term — all $T - 1 = 999$ of them, one network evaluation
        each, so that the only uncertainty left is that of the images and the noise drawn for them (the ± is the
        standard error over the images) — and $L_0$ with a **discretised Gaussian decoder**: the 256 grey levels are 256 bins on $[-1, 1]$, and $p(x_0\mid x_1)$
        is the mass that $\mathcal N(\hat x_0, \beta_1)$ puts on the bin of each pixel. So the bound is on the
        probability of an 8-bit image — a *discrete* probability, at most 1 — and in bits per dimension it is
        $L / (784 \ln 2)$.

        The VAEs of chapters 3 and 5 report $-$ELBO in nats per image under a Bernoulli likelihood that treats
        each grey level in $[0,1]$ as a probability of ink. That is not a distribution over the 256 grey levels
        (a Bernoulli has two outcomes), so its "nats" are not comparable with ours; only for binary images would
        both be bounds on the same kind of quantity. We print both in bits per dimension with that caveat, not as
        a ranking:
        """,
        zh=r"""
        ### 以每维比特数计的似然下界

        第 7.3 节的下界可以对训练好的网络实际算出来（`D.likelihood_bound`；与采样器一样，每一项都先把 $\hat x_0$ 截断到 $[-1, 1]$，
        所以这是采样器实际运行的那个反向过程的下界）：$L_T$ 有闭式解；$t = 2..T$ 的求和逐项计算——全部
        $T - 1 = 999$ 项，每项一次网络计算，于是剩下的不确定性只来自图像以及为它们抽取的噪声（± 后面是对图像求的标准误）；
        $L_0$ 则用**离散化高斯解码器**：256 个灰度级是 $[-1, 1]$ 上的 256 个区间，$p(x_0\mid x_1)$ 是 $\mathcal N(\hat x_0, \beta_1)$ 落在每个像素所在区间上的概率质量。
        因此这是 8 位图像概率的下界——一个*离散*概率，不超过 1——换算成每维比特数就是 $L / (784 \ln 2)$。

        第 3 章和第 5 章的变分自编码器报告的是伯努利似然下的 $-$ELBO（奈特/图像），它把 $[0,1]$ 中的每个灰度值当作“有墨水”的概率。
        这并不是 256 个灰度级上的分布（伯努利分布只有两种结果），所以它的“奈特”与这里的不可比；只有对二值图像，两者才是同一种量的下界。
        下面在这一前提下把两者都换算成每维比特数列出，但不作排名：
        """,
    ),
    code(
        """
        lik = study["likelihood"]
        vae_card = read_card(shipped_checkpoint("conv_vae_offline"))
        vae_nats = vae_card["metrics"]["heldout_neg_elbo_nats_per_image"]
        print(T(f"diffusion bound, {lik['images']} held-out digits, every t = 2..T ({lik['times']} terms):",
                f"扩散模型下界，{lik['images']} 个留出数字，t = 2..T 的每一项（共 {lik['times']} 项）："))
        print("   ", f"{lik['nats_per_image']:.1f} ± {lik['nats_se']:.1f}", T("nats per image =", "奈特/图像 ="),
              f"{lik['bits_per_dim']:.3f} ± {lik['bits_per_dim_se']:.3f}", T("bits/dim (256 grey levels)", "比特/维（256 个灰度级）"))
        term_names = {"prior": T("prior L_T", "先验项 L_T"), "diffusion": T("steps t = 2..T", "第 2..T 步"), "decoder": T("decoder L_0", "解码项 L_0")}
        print("   ", T("terms (nats): ", "各项（奈特）：") + T(", ", "，").join(f"{term_names[k]} {lik['terms_nats'][k]:.1f}" for k in term_names))
        print(T("conv VAE, Bernoulli -ELBO:", "卷积变分自编码器，伯努利 -ELBO："), f"{vae_nats:.1f}", T("nats per image =", "奈特/图像 ="),
              f"{float(D.nats_to_bits_per_dim(vae_nats, 784)):.3f}", T("bits/dim (not a distribution over grey levels)", "比特/维（不是灰度级上的分布）"))
        # en: the decoder term if the network's x0-hat were exact: the same digits (as the bench picked them), variance β_1
        # zh: 假如网络的 x0-hat 完全准确，解码项是多少：同样的数字（按基准脚本的取法），方差 β_1
        x_held_all, _ = load_offline_mnist("heldout")
        x0 = (torch.round(x_held_all[torch.linspace(0, len(x_held_all) - 1, lik["images"]).round().long()].double() * 255) / 255) * 2 - 1
        beta_1 = float(model.schedule.betas[1])
        exact = -float(D.discretized_gaussian_log_likelihood(x0, x0, beta_1 ** 0.5).sum((1, 2, 3)).mean())
        print(T(f"decoder L_0 with an exact prediction: {exact:.1f} nats, of the {lik['terms_nats']['decoder']:.1f} measured",
                f"预测完全准确时的解码项 L_0：{exact:.1f} 奈特，实测为 {lik['terms_nats']['decoder']:.1f}"),
              T(f"| √β_1 = {beta_1 ** 0.5:.4f}, one grey level = {2 / 255:.4f}", f"| √β_1 = {beta_1 ** 0.5:.4f}，一个灰度级 = {2 / 255:.4f}"))
        """
    ),
    md(
        en=r"""
        **Where the nats go.** The decoder term $L_0$ is a large share of the bound, and the last line says why
        most of it is not the network's fault. The decoder's variance is fixed at $\beta_1$, and $\sqrt{\beta_1}$ is
        about as wide as one grey level, so even an exact $\hat x_0$ puts only part of its mass on the right bin:
        the decoder term of a perfect prediction, computed on the same digits, is most of the measured one. The
        sum over $t = 2..T$ is where the network's errors show; the decoder term mostly measures the choice of
        a fixed decoder variance. Models built for likelihood learn the reverse variances instead of fixing them
        {cite:p}`nichol2021improved`; $L_\text{simple}$, which this network was trained with, gives the last step
        no special weight.
        """,
        zh=r"""
        **奈特都花在了哪里。** 解码项 $L_0$ 在下界中占了很大一块，最后一行说明了其中大部分并不是网络的错。解码器的方差固定为 $\beta_1$，
        而 $\sqrt{\beta_1}$ 大约和一个灰度级一样宽，所以即使 $\hat x_0$ 完全准确，也只有一部分概率质量落在正确的区间上：
        在同样的数字上算出的“完美预测”的解码项，占了实测解码项的大部分。网络的误差体现在 $t = 2..T$ 的求和里；
        解码项衡量的主要是“解码器方差固定”这一选择。以似然为目标的模型会学习反向方差，而不是把它固定下来 {cite:p}`zh-nichol2021improved`；
        这个网络用的是 $L_\text{simple}$，它对最后一步并不另加权重。
        """,
    ),
    md(
        en=r"""
        ### Stepping through the reverse process

        The widget runs the deterministic DDIM sampler with 50 steps on eight starting points and shows, at the
        step you choose, the current $x_t$ (top row) and the network's guess $\hat x_0$ of the final image
        (bottom row). Compare how early the guess settles with how late $x_t$ starts to look like a digit. Below
        the widget, a static figure shows the same path at six steps.
        """,
        zh=r"""
        ### 逐步查看反向过程

        下面的控件用 50 步确定性 DDIM 采样器处理八个起点，在你选定的步上显示当前的 $x_t$（上一行）和网络对最终图像的猜测 $\hat x_0$（下一行）。
        比较一下：这个猜测多早就定了形，而 $x_t$ 要到多晚才开始像一个数字。控件下方的静态图给出同一条路径在其中六步时的样子。
        """,
    ),
    code(
        """
        _, path_t, path_x = model.reverse(8, steps=50, generator=gen(7), return_path=True)
        with torch.no_grad():
            path_x0 = [D.eps_to_x0(x, model.eps(x, t), t, model.schedule).clamp(-1, 1) if t > 0 else x
                       for t, x in zip(path_t, path_x)]


        def reverse_figure(i):
            fig, ax = plt.subplots(figsize=(7, 2.2))
            both = torch.cat([path_x[i].clamp(-1, 1), path_x0[i]])
            show_images((both + 1) / 2, nrow=8, ax=ax,
                        title=T(f"step {i} of 50, t = {path_t[i]}: x_t (top), predicted x_0 (bottom)",
                                f"第 {i} 步（共 50 步），t = {path_t[i]}：x_t（上），预测的 x_0（下）"))
            return fig


        # en: a slider above the figure; moving the slider redraws it (live in JupyterLab)
        # zh: 滑块下方是图像；拖动滑块即重新绘图（在 JupyterLab 中实时生效）
        step_slider = widgets.IntSlider(value=25, min=0, max=len(path_t) - 1, description=T("step", "步"), continuous_update=False)
        slider_figure(reverse_figure, step_slider)
        """
    ),
    code(
        """
        # en: the static version for the printed book: x_t along the path, one column per shown step
        # zh: 供印刷版使用的静态版本：沿路径的 x_t，每列对应一个展示的步
        shown = [0, 10, 20, 30, 40, 50]
        frames = torch.stack([path_x[i].clamp(-1, 1) for i in shown], 1).reshape(-1, 1, 28, 28)
        show_images((frames + 1) / 2, nrow=len(shown),
                    title=T("DDIM, 50 steps: columns after 0, 10, 20, 30, 40, 50 steps", "DDIM 50 步：各列为第 0、10、20、30、40、50 步之后"))
        plt.show()
        """
    ),
    md(
        en=r"""
        ### Does it copy its training digits?

        A diffusion model is trained to undo the noise added to its training images, and a network large enough
        for its data can learn to give them back: Carlini et al. {cite:p}`carlini2023diffusion` extracted training
        images from Stable Diffusion and Imagen, and Somepalli et al. {cite:p}`somepalli2023diffusion` found
        replicated content in such models' samples. Chapter 6's audit asks the question of the book's models, on
        1,000 samples each (its section 7 explains the two numbers): the mean log-ratio of each sample's distance
        to its nearest training digit over that to its nearest held-out digit, with a bootstrap interval, and the
        number of near-copies, samples nearer to a training digit than the closest 1 % of real held-out digits are.
        The card also keeps the closest pairs. The diffusion model beside the DCGAN, read from their cards:
        """,
        zh=r"""
        ### 它会复制训练数字吗？

        扩散模型被训练来去掉加在训练图像上的噪声；网络相对数据足够大时，它可能学会把这些图像原样交还：Carlini 等人
        {cite:p}`zh-carlini2023diffusion` 从 Stable Diffusion 和 Imagen 中提取出了训练图像，Somepalli 等人
        {cite:p}`zh-somepalli2023diffusion` 在这类模型的样本里发现了复制的内容。第 6 章的审计对本书的模型提出同样的问题，
        每个模型用 1,000 个样本（两个数的含义见该章第 7 节）：每个样本到最近训练数字与到最近留出数字的距离之比，取对数后的均值及其自助法区间；
        以及近乎复制的样本数——离某个训练数字比最接近的 1% 真实留出数字还近的样本。模型卡还保存了最接近的几对。
        下面从模型卡中读出扩散模型和 DCGAN 的结果：
        """,
    ),
    code(
        """
        from course_lib.responsible.audit import describe

        for name in ("diffusion_offline", "dcgan_offline"):
            audit = read_card(shipped_checkpoint(name))["audit"]
            print(f"{name:<18}", describe(audit, T("en", "zh"))["copying"])
            print(" " * 18, T("closest pairs (sample, training digit, distance):", "最接近的几对（样本、训练数字、距离）："),
                  "; ".join(f"{p['sample']} ↔ {p['training_index']}: {p['distance']:.2f}" for p in audit["copying"]["closest"]))
        """
    ),
    md(
        en=r"""
        ### On full MNIST

        The same command with `--data full` trains on the 60,000 MNIST training digits (an opt-in download,
        checksum-verified; see chapter 5); the gallery at the top of the chapter shows a checkpoint that this command
        made, shipped as `diffusion_full`. `bench/quality.py` then measures the checkpoint as it measures
        chapter 5's full-MNIST models: Fréchet distance of 10,000 samples against the 60,000 training digits and
        class coverage of 10,000 samples, both in the features of a classifier trained on full MNIST, the bound
        on 200 test digits (every $t$, as above), and the training budget — epochs and minutes on the machine
        the card names. The DCGAN and the VAEs of the same table were measured with the same classifier in the
        same run, so these rows are comparable with each other, but not with the offline numbers above
        (another training set, another classifier, another number of samples):
        """,
        zh=r"""
        ### 在完整 MNIST 上

        同一条命令加上 `--data full`，就在 60,000 张 MNIST 训练数字上训练（需另行下载，并校验 SHA-256；见第 5 章）；
        本章开头的样本图出自这条命令训练出的一个检查点，随书附带，名为 `diffusion_full`。
        随后 `bench/quality.py` 像测量第 5 章的完整 MNIST 模型那样测量这个检查点：10,000 个样本对 60,000 张训练数字的弗雷歇距离，
        以及 10,000 个样本的类别覆盖，两者都用在完整 MNIST 上训练的分类器的特征来算；200 张测试数字上的下界（与上面一样逐项计算每个 $t$）；
        还有训练预算——轮数，以及在模型卡所记机器上用了多少分钟。同一张表里的 DCGAN 和变分自编码器由同一个分类器在同一次运行中测得，
        所以这几行彼此可比；但它们与上面的离线数字不可比（训练集不同，分类器不同，样本数也不同）：
        """,
    ),
    code(
        """
        import re

        from course_lib.checkpoint import load_bench

        full_rows = load_bench()["full_mnist"]
        models = {"diffusion": T("diffusion", "扩散模型"), "DCGAN": "DCGAN", "conv VAE": T("conv VAE", "卷积 VAE"),
                  "deep conv VAE": T("deep conv VAE", "深层卷积 VAE")}


        def value(model, what):
            # en: bench.json's labels (English) start with the model's name, e.g. "DCGAN Fréchet distance (...)"
            # zh: bench.json 中的说明（英文）以模型名开头，例如 "DCGAN Fréchet distance (...)"
            row = next((r for r in full_rows if r["what"].startswith(model + " ") and what in r["what"]), None)
            return (row["value"], row["what"], row["command"]) if row else ("–", "", "")


        def budget(label):
            # en: "... training time, 20 epochs on cpu (1 threads) (minutes)" -> epochs and machine, in the page's language
            # zh: "... training time, 20 epochs on cpu (1 threads) (minutes)" -> 轮数和机器，用本页的语言写出
            m = re.search(r"training time, (\\d+) epochs on (.+) \\(minutes\\)", label)
            if not m:
                return "–"
            cpu = re.fullmatch(r"cpu \\((\\d+) threads?\\)", m[2])
            where = T(f"{cpu[1]} CPU thread{'' if cpu[1] == '1' else 's'}", f"{cpu[1]} 个 CPU 线程") if cpu else m[2]
            return T(f"{m[1]} epochs, {where}", f"{m[1]} 轮，{where}")


        print(f"{pad(T('model', '模型'), 14, '<')}{'FD':>8}{pad(T('KL to uniform', '到均匀分布的 KL'), 16)}{pad(T('digits', '数字数'), 8)}"
              f"{pad(T('minutes', '分钟'), 9)}   {T('budget', '训练预算')}")
        for model, shown in models.items():
            minutes, label, _ = value(model, "training time")
            print(f"{pad(shown, 14, '<')}{value(model, 'Fréchet distance')[0]:>8}{value(model, 'KL(classes')[0]:>16}"
                  f"{value(model, 'digits present')[0]:>8}{minutes:>9}   {budget(label)}")
        floor = next(r for r in full_rows if r["what"].startswith("real-vs-real"))
        print(T("real-vs-real floor (10,000 test vs 60,000 training digits): FD", "真实对真实下限（10,000 张测试数字对 60,000 张训练数字）：FD"), floor["value"])
        bound, label, command = value("diffusion", "bound")
        n_bound = re.search(r"bound, ([\\d,]+) digits", label)[1]
        print(T(f"diffusion bound on {n_bound} test digits:", f"扩散模型在 {n_bound} 张测试数字上的下界："), bound, T("bits/dim", "比特/维"))
        print(T("made by:", "训练命令："), command)
        fd = {m: float(value(m, "Fréchet distance")[0]) for m in models}
        print(T("lowest FD in this table:", "本表中 FD 最低的是"), models[min(fd, key=fd.get)],
              T("| verdict: none — each FD here is one draw of 10,000 samples, with no interval",
                "| 结论：不下结论——这里每个 FD 只来自一次 10,000 个样本的抽样，没有区间"))
        """
    ),
    md(
        en=r"""
        No winner is named from this table: each of its Fréchet distances comes from a single draw of samples,
        with no interval (the full-MNIST checkpoints are not shipped, so the chapter cannot draw again), and the
        training budgets in the last two columns are not equal. It says how far each model got with the
        training it got here, not which is best per minute of computing — a fair race would give each model the
        same time on the same machine, and the DCGAN and the VAEs would then get more epochs. The comparison with
        intervals is the offline one above and in chapter 5.
        """,
        zh=r"""
        这张表不判胜负：表中每个弗雷歇距离都只来自一次抽样，没有区间（完整 MNIST 上的检查点不随书发布，本章无法再抽一次），
        而且最后两列的训练预算也不相等。它说明的是各模型用这里得到的训练走到了哪一步，而不是每分钟计算谁最划算——
        公平的比赛应当让每个模型在同一台机器上用同样长的时间，那样 DCGAN 和变分自编码器就能多训练几轮。
        带区间的比较是上面和第 5 章里在离线划分上做的那一个。
        """,
    ),
    # ---------------------------------------------------------------------------------- summary + exercises
    md(
        en=r"""
        ## Summary

        * The forward process has a closed form, $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon$, and the
          posterior $q(x_{t-1}\mid x_t, x_0)$ is Gaussian; both were checked numerically.
        * The ELBO is a sum of Gaussian KL divergences, each a weighted squared error in the noise;
          $L_\text{simple}$ drops the weights, which helps samples but means the loss is no longer a bound.
        * Predicting noise, predicting the clean image and estimating the score are the same thing in three
          coordinates (Tweedie's formula).
        * On the ring the diffusion model covers the modes without the balancing act that chapter 2's GANs
          need; on MNIST its quality, class coverage and cost per sample are in the tables above, measured on
          chapter 5's ruler, on the offline split and on full MNIST. Chapter 5 places it beside the DCGAN and the VAE.

        ## Exercises

        1. **The SNR at the midpoint.** Compute $\mathrm{SNR}(T/2)$ for the linear and the cosine schedule
           from their formulas, and the $t$ at which each schedule's $\bar\alpha_t$ falls below $0.5$.
        2. **The posterior without $x_0$.** For the two-Gaussian mixture of section 7.4, use Tweedie's formula
           to compute $\mathbb E[x_0\mid x_t]$ on a grid of $x_t$ at $t = 400$ and at $t = 50$, and plot both.
           Explain why the curve is nearly a step function at $t = 50$ and nearly linear at $t = 400$.
        3. **Fewer diffusion steps on the ring.** Retrain the toy model of section 7.5 and sample it with DDIM
           ($\eta = 0$) using 5, 10 and 100 steps (`sample_toy(toy, 1000, toy_schedule, steps=k, eta=0.0)`).
           How do the share of high-quality samples and the number of modes change?
        """,
        zh=r"""
        ## 小结

        * 前向过程有闭式解 $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\varepsilon$，后验 $q(x_{t-1}\mid x_t, x_0)$ 是高斯分布；两者都已用数值计算验证。
        * ELBO 是若干高斯 KL 散度之和，每一项都是噪声的加权平方误差；$L_\text{simple}$ 去掉了这些权重，这有利于样本质量，但损失也就不再是下界。
        * 预测噪声、预测干净图像和估计得分是同一件事在三种坐标下的表达（Tweedie 公式）。
        * 在圆环上，扩散模型无需像第 2 章的生成对抗网络那样小心平衡就能覆盖各个模式；在 MNIST 上，它的质量、类别覆盖和每个样本的代价
          都列在上面的表里，用的是第 5 章的标尺，离线划分和完整 MNIST 上各有一张。第 5 章把它与 DCGAN 和变分自编码器并列比较。

        ## 练习

        1. **中点处的信噪比。** 根据公式算出线性调度和余弦调度在 $T/2$ 处的 $\mathrm{SNR}$，以及各自的 $\bar\alpha_t$ 降到 $0.5$ 以下时的 $t$。
        2. **不依赖 $x_0$ 的后验。** 对第 7.4 节的两分量高斯混合，用 Tweedie 公式在 $t = 400$ 和 $t = 50$ 时算出 $x_t$ 网格上的
           $\mathbb E[x_0\mid x_t]$ 并画出来。解释为什么 $t = 50$ 时曲线几乎是阶跃函数，而 $t = 400$ 时几乎是直线。
        3. **圆环上更少的扩散步数。** 重新训练第 7.5 节的玩具模型，用 DDIM（$\eta = 0$）分别以 5、10、100 步采样
           （`sample_toy(toy, 1000, toy_schedule, steps=k, eta=0.0)`）。高质量样本的比例和覆盖的模式数如何变化？
        """,
    ),
    code(
        """
        # en: Self-checks: solve an exercise in a cell of your own, then run check(n) on it (right, close or wrong, with a hint).
        # zh: 自测：在自己的单元格里做完练习 n，再运行 check(n)（它会给出“正确”“接近”或“还不对”的判断，并附上提示）。
        from course_lib.exercises import self_checks

        check = self_checks(7, globals(), lang=T("en", "zh"))
        check()
        """
    ),
    solution(
        1,
        en="",
        zh="",
        code=r"""
        # en: D.snr(s)[i] is t = i + 1, and alpha_bars[t] is t itself (index 0 is the data)
        # zh: D.snr(s)[i] 对应 t = i + 1，alpha_bars[t] 就对应 t（下标 0 是数据本身）
        snr_mid = [float(D.snr(s)[499]) for s in (linear, cosine)]
        t_half = [int((s.alpha_bars < 0.5).nonzero()[0]) for s in (linear, cosine)]
        for name, r, t_ in zip((T("linear", "线性"), T("cosine", "余弦")), snr_mid, t_half):
            print(name, T("SNR(T/2) =", "SNR(T/2) ="), f"{r:.3f};", T("ᾱ_t < 0.5 from t =", "ᾱ_t < 0.5 始于 t ="), t_)
        """,
        en_after=r"""
        The cosine schedule keeps a much larger SNR at $T/2$ and crosses $\bar\alpha_t = 0.5$ later: it destroys
        information more evenly over the chain.
        """,
        zh_after=r"""
        余弦调度在 $T/2$ 处保留的信噪比大得多，$\bar\alpha_t$ 降到 0.5 以下也更晚：它在整条链上更均匀地破坏信息。
        """,
    ),
    solution(
        2,
        en="",
        zh="",
        code=r"""
        xs = torch.linspace(-4, 4, 401, dtype=torch.float64)
        for t_ in (50, 400):
            ab_ = float(linear.alpha_bars[t_])
            v_ = ab_ * sd ** 2 + 1 - ab_
            x_ = xs.clone().requires_grad_(True)
            lq = torch.logsumexp(-(x_[:, None] - math.sqrt(ab_) * mus) ** 2 / (2 * v_), 1)
            sc_ = torch.autograd.grad(lq.sum(), x_)[0]
            plt.plot(xs, (xs + (1 - ab_) * sc_) / math.sqrt(ab_), label=f"t = {t_}")
        plt.xlabel("x_t")
        plt.ylabel("E[x_0 | x_t]")
        plt.legend()
        plt.show()
        """,
        en_after=r"""
        At $t = 50$ the two components of $q_t$ barely overlap, so $x_t$ almost certainly tells which one $x_0$
        came from: the posterior mean jumps from near $-2$ to near $1$ between them. At $t = 400$ they overlap
        strongly; the posterior mean is a smooth compromise, close to a linear shrinkage towards the overall mean.
        """,
        zh_after=r"""
        $t = 50$ 时 $q_t$ 的两个分量几乎不重叠，$x_t$ 几乎能确定 $x_0$ 来自哪个分量，于是后验均值在两者之间从 $-2$ 附近跳到 $1$ 附近。
        $t = 400$ 时两个分量大量重叠，后验均值是一个平滑的折中，接近于向总体均值的线性收缩。
        """,
        grade=r"""
        # en: The tests read `xs` (the grid of x_t) and, for the last t of your loop, `ab_` (its alpha-bar) and `sc_`
        # en: (the score of q_t on `xs`), from which Tweedie's formula gives E[x_0 | x_t].
        # zh: 测试读取 `xs`（x_t 的网格），以及循环最后一个 t 的 `ab_`（它的 alpha-bar）和 `sc_`（q_t 在 `xs` 上的得分），
        # zh: 由它们按 Tweedie 公式得到 E[x_0 | x_t]。
        ### BEGIN HIDDEN TESTS
        a_ = float(ab_)
        assert any(abs(a_ - float(linear.alpha_bars[t])) < 1e-12 for t in (50, 400)), T(
            "`ab_` is not the linear schedule's alpha-bar at t = 50 or 400", "`ab_` 不是线性调度在 t = 50 或 400 处的 alpha-bar")
        grid_ = xs.detach().double()
        tweedie = (grid_ + (1 - a_) * sc_.detach().double()) / math.sqrt(a_)
        # en: the exact posterior mean of the mixture: each component's Gaussian posterior mean, weighted by its
        # en: posterior probability given x_t
        # zh: 混合分布的精确后验均值：各分量的高斯后验均值，按给定 x_t 时该分量的后验概率加权
        v_ = a_ * sd ** 2 + 1 - a_
        logw = -(grid_[:, None] - math.sqrt(a_) * mus) ** 2 / (2 * v_)
        means_ = mus + sd ** 2 * math.sqrt(a_) / v_ * (grid_[:, None] - math.sqrt(a_) * mus)
        exact_ = (torch.softmax(logw, 1) * means_).sum(1)
        assert torch.allclose(tweedie, exact_, atol=1e-6), T("Tweedie's formula does not give the posterior mean here",
                                                             "这里 Tweedie 公式没有给出后验均值")
        ### END HIDDEN TESTS
        """,
        written=1,
    ),
    solution(
        3,
        en="",
        zh="",
        code=r"""
        for k in (5, 10, 100):
            _, path = sample_toy(toy, 1000, toy_schedule, steps=k, eta=0.0, generator=gen(3))
            c = mode_coverage(path[-1], std=RING_STD)
            print(T("steps", "步数"), k, T("| modes", "| 模式数"), c.modes_covered,
                  T("| quality", "| 高质量比例"), round(c.high_quality, 3), "| KL", round(c.kl_to_uniform, 3))
        """,
        points=2,
        en_after=r"""
        With very few steps each deterministic jump relies on one prediction of $\hat x_0$ made from a very noisy
        $x_t$, so expect the points to land less precisely on the modes (a smaller high-quality share); the
        printed numbers show how much, and whether any mode is lost.
        """,
        zh_after=r"""
        步数很少时，每一次确定性的跳跃都只依赖于从噪声很大的 $x_t$ 作出的一次 $\hat x_0$ 预测，所以可以预期点落在模式上的精度变差
        （高质量样本比例更小）；打印出的数字给出差多少，以及是否丢了模式。
        """,
    ),
    md(
        en=r"""
        ## References

        Sohl-Dickstein et al. {cite:p}`sohldickstein2015diffusion` introduced diffusion probabilistic models;
        Ho, Jain and Abbeel {cite:p}`ho2020ddpm` the noise-prediction parameterisation and $L_\text{simple}$;
        Nichol and Dhariwal {cite:p}`nichol2021improved` the cosine schedule; Song, Meng and Ermon
        {cite:p}`song2021ddim` DDIM; Song et al. {cite:p}`song2021scoresde` the score-based SDE view; Vincent
        {cite:p}`vincent2011connection` denoising score matching; Efron {cite:p}`efron2011tweedie` Tweedie's formula
        and its use in empirical Bayes; Ho and Salimans {cite:p}`ho2022cfg` classifier-free guidance. The full list
        is on the [references page](../../book/en/references.md).
        """,
        zh=r"""
        ## 参考文献

        Sohl-Dickstein 等人 {cite:p}`zh-sohldickstein2015diffusion` 提出了扩散概率模型；Ho、Jain 与 Abbeel {cite:p}`zh-ho2020ddpm`
        提出了预测噪声的参数化和 $L_\text{simple}$；Nichol 与 Dhariwal {cite:p}`zh-nichol2021improved` 提出了余弦调度；
        Song、Meng 与 Ermon {cite:p}`zh-song2021ddim` 提出了 DDIM；Song 等人 {cite:p}`zh-song2021scoresde` 提出了基于得分的随机微分方程观点；
        Vincent {cite:p}`zh-vincent2011connection` 提出了去噪得分匹配；Efron {cite:p}`zh-efron2011tweedie` 阐述了 Tweedie 公式及其在经验贝叶斯中的用法；
        Ho 与 Salimans {cite:p}`zh-ho2022cfg` 提出了分类器无关引导。完整的参考文献列表见[参考文献页](../../book/zh/references.md)。
        """,
    ),
]
