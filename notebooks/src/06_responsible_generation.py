"""Chapter 6: the responsible-generation lab — the book audits its own models."""
from twins import code, md, objectives, solution

CELLS = [
    md(
        en=r"""
        # 6 · The responsible-generation lab

        [Chapter 1](01_generative_ai_and_society.ipynb) made four concerns concrete — privacy, fairness,
        transparency and accountability — on models small enough to fit in a cell. This chapter turns the same
        questions on the models **this book itself trained**: the VAE and the DCGAN of
        [chapter 5](05_mnist_project.ipynb), and the character-level GPT of [chapter 4](04_gpt.ipynb). Every claim
        below is a number that a cell computes from the shipped checkpoints.

        You will

        * attack the VAE and the DCGAN with **membership inference** — does a trained model give away which digits
          it saw? — read the result the way privacy research does, at a low false-positive rate, and see what leaking
          looks like on a deliberately over-fitted VAE;
        * **label** generated images as China's labelling measures require (a visible label and a metadata label),
          add chapter 1's keyed watermark, and measure which of the three survives a copy, a JPEG export, a crop
          and a screenshot;
        * put a keyed **green-list watermark** into the GPT's sampler, and measure how much text it needs, how
          often it accuses text it did not write, what it costs in bits per character, and how many edited
          characters erase it;
        * train a small **detector** of generated digits and test it on a generator it never saw.

        * measure how strongly tiny GPTs **memorise** a secret inserted into their training text 0, 1, 4 and 16
          times (exact **exposure**), and whether greedy decoding gives it away;
        * pay the **price of differential privacy**: the same VAE trained with DP-SGD at ε = ∞, 8 and 1, on 1,000
          digits and on 60,000, its quality, the attack it stops, and an **audit** that bounds its ε from below;
        * ask whether a **skewed training set** gives a skewed generator, for the VAE and the DCGAN;
        * read the **audit section** that `python -m course_lib audit` writes into every shipped model's card.

        The tools are in `course_lib.responsible`; every model used here was trained by the one command printed
        in its model card.
        """,
        zh=r"""
        # 6 · 负责任生成实验室

        [第 1 章](01_generative_ai_and_society.ipynb)在一个单元格就装得下的小模型上，把四个问题——隐私、公平、透明度与问责——逐一具体化。
        本章把同样的问题转向**本书自己训练的模型**：[第 5 章](05_mnist_project.ipynb)的 VAE 和 DCGAN，以及[第 4 章](04_gpt.ipynb)的字符级 GPT。
        下文的每一个论断，都是某个单元格根据随书附带的检查点算出来的数字。

        读完本章，你将：

        * 用**成员推断**攻击 VAE 和 DCGAN——训练好的模型会不会泄露它见过哪些数字？——像隐私研究那样在低假阳性率处解读结果，
          再在一个故意过拟合的 VAE 上看看泄露是什么样子；
        * 按照我国标识办法的要求给生成的图像加上**标识**（一个看得见的显式标识和一个写在元数据里的隐式标识），再加上第 1 章的带密钥水印，
          测量三者在复制、导出为 JPEG、裁剪和截屏之后还剩下哪些；
        * 在 GPT 的采样器里加入带密钥的**绿名单水印**，测量它需要多长的文本、多常把并非它写的文本误判为有水印、以每字符比特数计要付出多少代价，
          以及改动多少个字符就能把它抹掉；
        * 训练一个识别生成数字的小型**检测器**，并在一个它从未见过的生成器上检验它。

        * 测量微型 GPT 对插入训练文本 0、1、4、16 次的秘密**记住**了多少（精确的**暴露度**），以及贪心解码会不会把它说出来；
        * 付出**差分隐私的代价**：用 DP-SGD 在 ε = ∞、8、1 下，分别在 1,000 张和 60,000 张数字上训练同一个 VAE，看它的质量、它挡住了什么攻击，再用一次**审计**从下方给它的 ε 定界；
        * 对 VAE 和 DCGAN 分别追问：**偏斜的训练集**会不会带来偏斜的生成器；
        * 阅读 `python -m course_lib audit` 写进每个随书模型的模型卡里的**审计部分**。

        所用工具都在 `course_lib.responsible` 中；这里用到的每个模型，都由其模型卡里打印的那一条命令训练而成。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            "attack a model by loss-threshold membership inference, and read the ROC curve where privacy is at stake: the TPR at 1% FPR;",
            "label generated images (a visible and a metadata label, a watermark) and a GPT's text (a green-list watermark), and measure what each survives;",
            "measure a GPT's memorisation with inserted canaries and their exposure;",
            "weigh the price of differential privacy (ε against quality and against the attack), and audit ε from below;",
            "test whether a skewed training set gives a skewed, amplified or vanished class in the samples;",
            "read, and fill by code, the audit section of a model card.",
        ],
        zh=[
            "用基于损失阈值的成员推断攻击模型，并在隐私真正攸关的区域读 ROC 曲线：假阳性率为 1% 时的真阳性率；",
            "为生成的图像加标识（显式标识、元数据标识和水印），为 GPT 的文本加绿名单水印，并测量每种标识经得起哪些修改；",
            "用插入的金丝雀及其暴露度测量 GPT 的记忆；",
            "权衡差分隐私的代价（ε 与生成质量、与攻击效果的关系），并从下方审计 ε；",
            "检验偏斜的训练集会不会让样本中的某一类同样偏斜、被放大或干脆消失；",
            "读懂模型卡中的审计部分，并用代码把它填写出来。",
        ],
        chapters=(1, 3, 4, 5),
        maths_en="hypothesis tests and ROC curves, binomial (Clopper–Pearson) intervals, (ε, δ)-differential privacy as defined in chapter 1.",
        maths_zh="假设检验与 ROC 曲线、二项分布的（Clopper–Pearson）置信区间，第 1 章定义的 (ε, δ)-差分隐私。",
    ),
    code(
        """
        import math
        import tempfile
        from pathlib import Path

        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        import numpy as np
        import torch

        import course_lib
        from course_lib.notebook import pad
        from course_lib import load_offline_mnist
        from course_lib.models.dcgan import load_dcgan
        from course_lib.checkpoint import shipped_checkpoint
        from course_lib.models.gpt import load_gpt
        from course_lib.plotting import slider_figure
        from course_lib.responsible import detector, labels, membership, text_watermark as tw
        from course_lib.text import load_corpus
        from course_lib.data import spread_subset
        from course_lib.stats import bootstrap_interval
        from course_lib.models.vae import load_vae
        from course_lib.responsible.watermark import embed_watermark, watermark_score

        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        # en: One CPU thread: these models are small, and the printed numbers stay the same run after run.
        # zh: 只用一个 CPU 线程：这些模型都很小，而且每次运行打印的数字都一样。
        torch.set_num_threads(1)

        x_train, y_train = load_offline_mnist("train")
        x_held, y_held = load_offline_mnist("heldout")
        vae, vae_card = load_vae(shipped_checkpoint("conv_vae_offline"))
        dcgan, dcgan_card = load_dcgan()
        overfit, overfit_card = load_vae(shipped_checkpoint("vae_overfit_offline"))
        print(T("VAE (conv_vae_offline): epochs", "VAE（conv_vae_offline）：轮数"), vae_card["epochs"],
              T("| parameters", "| 参数"), f"{vae_card['parameters']:,}",
              T("| held-out -ELBO", "| 留出数据 -ELBO"), vae_card["metrics"]["heldout_neg_elbo_nats_per_image"], T("nats", "奈特"))
        print(T("DCGAN (dcgan_offline): epochs", "DCGAN（dcgan_offline）：轮数"), dcgan_card["epochs"],
              T("| parameters", "| 参数"), f"{dcgan_card['parameters']:,}",
              T("| discriminator in the checkpoint: ", "| 检查点含判别器：") +
              (T("yes", "是") if any(k.startswith("discriminator.") for k in dcgan.state_dict()) else T("no", "否")))
        print(T("over-fitted VAE (vae_overfit_offline): training digits", "过拟合的 VAE（vae_overfit_offline）：训练数字"),
              overfit_card["train_examples"], T("| epochs", "| 轮数"), overfit_card["epochs"],
              T("| training loss", "| 训练损失"), overfit_card["metrics"]["train_loss"],
              T("| held-out -ELBO", "| 留出数据 -ELBO"), overfit_card["metrics"]["heldout_neg_elbo_nats_per_image"], T("nats", "奈特"))
        print(T("made by:", "训练命令："), overfit_card["command"])
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    md(
        en=r"""
        ## 1 · Membership inference: does a model give away its training digits?

        A **membership inference** attack {cite:p}`shokri2017membership` takes a trained model and an example and
        guesses whether the example was in the training set. It gives every candidate a **score** (higher: "more
        likely a member") and answers "member" when the score is at least a threshold $t$. On known members and
        known non-members, each threshold gives

        $$\mathrm{TPR}(t)=\frac{\#\{\text{members with score}\ge t\}}{\#\text{members}},\qquad
          \mathrm{FPR}(t)=\frac{\#\{\text{non-members with score}\ge t\}}{\#\text{non-members}},$$

        and moving $t$ from $+\infty$ down traces the **ROC curve** from $(0,0)$ to $(1,1)$. Its area (AUC) is
        the probability that a random member outscores a random non-member (ties count ½); 0.5 is guessing.

        **Why the low-FPR end matters.** Carlini et al. {cite:p}`carlini2022lira` argue that the AUC is the wrong
        summary of a privacy attack. It averages over all thresholds, most of which accuse many non-members; an
        attacker who wants to *prove* that one particular person's record was used needs a threshold at which
        almost no non-member is accused. An attack that identifies 5 % of the members with only 0.1 % false
        alarms is a real breach even if its AUC is 0.51. So we report the **TPR at 1 % FPR**, read off the ROC by
        linear interpolation between the two points whose FPRs bracket 1 % (what a randomised threshold between
        those two thresholds achieves). Guessing gives TPR = FPR = 1 %. With about 1,000 non-members, 1 % FPR
        means the 10 highest-scoring ones, so this number carries real sampling noise.

        The two attacks:

        * **Loss threshold** {cite:p}`yeom2018privacy` on the VAE: score = the image's ELBO (minus its loss),
          averaged over two draws of $z$. A model that fits its training images better than unseen ones gives
          them a higher ELBO; Yeom et al. show that the attack's advantage is tied to exactly this gap between
          training and test loss.
        * **LOGAN** {cite:p}`hayes2019logan` on the DCGAN: score = the discriminator's logit. The discriminator was
          trained to call the training digits "real", so it may do so more confidently for them than for unseen
          digits. Our discriminator packs two images (PacGAN {cite:p}`lin2018pacgan`): each attacked digit is
          paired with each of 4 held-out "anchor" digits, which are then left out of the non-members, and its
          score is the mean logit.

        **What each attacker needs.** The two attacks assume different access. The loss attack needs the VAE's
        encoder and decoder to compute an ELBO; LOGAN needs the discriminator, which serves only to train the
        generator and is rarely released. Both are white-box attacks: they measure what an insider with the
        model's parts can learn. A deployed generator usually offers nothing but its samples, and a black-box
        attacker then scores a candidate by how closely the generator's samples come to it (GAN-Leaks
        {cite:p}`chen2020ganleaks`). Chen et al. find that attacks grow stronger with more access, so white-box
        attacks that stay near guessing make a black-box success on these models unlikely — a reason to expect
        it, not a proof.

        Members are 1,000 training digits spread evenly over the 4,000 (every class, in the training proportions);
        non-members are the held-out digits. Both sets must come from the same distribution: otherwise the attack
        can win by recognising *which kind* of digit it sees rather than *whether it was trained on* (exercise 1).
        """,
        zh=r"""
        ## 1 · 成员推断：模型会泄露它的训练数字吗？

        **成员推断**攻击 {cite:p}`zh-shokri2017membership` 拿到一个训练好的模型和一个样本，猜测这个样本是否在训练集中。
        它给每个候选样本打一个**分数**（越高越“像成员”），分数不低于阈值 $t$ 时就判为“成员”。在已知的成员和非成员上，每个阈值给出

        $$\mathrm{TPR}(t)=\frac{\#\{\text{分数}\ge t\text{ 的成员}\}}{\#\text{成员}},\qquad
          \mathrm{FPR}(t)=\frac{\#\{\text{分数}\ge t\text{ 的非成员}\}}{\#\text{非成员}},$$

        即真阳性率和假阳性率。让 $t$ 从 $+\infty$ 往下移动，就描出从 $(0,0)$ 到 $(1,1)$ 的 **ROC 曲线**。曲线下面积（AUC）
        等于随机取一个成员、其分数高于随机取一个非成员的概率（分数相同时计 ½）；0.5 即等于随机猜测。

        **为什么要看低假阳性率的那一端。** Carlini 等人 {cite:p}`zh-carlini2022lira` 指出，AUC 不适合用来概括隐私攻击。
        它对所有阈值求平均，而其中大多数阈值会把许多非成员误判为成员；攻击者若想*证明*某一个人的记录被用于训练，需要的是一个几乎不会误判非成员的阈值。
        一个能以 0.1% 的误报认出 5% 成员的攻击，即使 AUC 只有 0.51，也是实实在在的泄露。因此我们报告**假阳性率为 1% 时的真阳性率**：
        在 ROC 上找出假阳性率把 1% 夹在中间的两个点，在两点之间线性插值（这正是在这两个阈值之间随机取阈值所能达到的值）。
        随机猜测时真阳性率等于假阳性率，即 1%。非成员约有 1,000 个，1% 的假阳性率只对应得分最高的 10 个，所以这个数字有不小的抽样误差。

        两种攻击：

        * 对 VAE 的**损失阈值攻击** {cite:p}`zh-yeom2018privacy`：分数是这张图像的 ELBO（即损失取负），对 $z$ 抽两次取平均。
          如果模型对训练图像拟合得比没见过的图像更好，它给训练图像的 ELBO 就更高；Yeom 等人证明，这种攻击的优势恰恰取决于训练损失与测试损失之间的差距。
        * 对 DCGAN 的 **LOGAN** 攻击 {cite:p}`zh-hayes2019logan`：分数是判别器输出的 logit。判别器被训练成把训练数字判为“真”，
          对这些数字它可能比对没见过的数字更有把握。我们的判别器一次评判两张图像（PacGAN {cite:p}`zh-lin2018pacgan`）：
          每个受攻击的数字分别与 4 个留出的“锚点”数字配对（这 4 个数字随后不再作为非成员），分数取各对 logit 的平均。

        **每种攻击需要什么。** 两种攻击假定的访问权限不同。损失阈值攻击要用 VAE 的编码器和解码器才能算出 ELBO；LOGAN 要用判别器，
        而判别器只用来训练生成器，很少随模型发布。两者都是白盒攻击：它们衡量的是一个拿得到模型各个部件的内部人员能知道多少。
        已部署的生成器通常只对外提供样本，黑盒攻击者只能看生成器的样本与候选图像有多接近来打分（GAN-Leaks {cite:p}`zh-chen2020ganleaks`）。
        Chen 等人发现，攻击者掌握的访问权限越多，攻击就越强；因此白盒攻击在这两个模型上都接近随机猜测，意味着黑盒攻击也不太可能成功——
        这是一个有理由的预期，而不是证明。

        成员是从 4,000 张训练数字中均匀取出的 1,000 张（各类都有，比例与训练集相同）；非成员是留出数字。两组必须来自同一个分布：
        否则攻击可以靠认出*是哪一类*数字取胜，而不是认出*是否训练过*（见练习 1）。
        """,
    ),
    code(
        """
        members = x_train[spread_subset(len(x_train), 1000)]
        # en: 4 held-out digits, spread evenly, are the DCGAN's packing anchors and are left out of the non-members
        # zh: 均匀取出的 4 张留出数字用作 DCGAN 打包判别器的锚点，不再算作非成员
        anchors, nonmembers = membership.split_anchors(x_held, 4)

        # en: the over-fitted VAE saw only its 64 evenly spaced training digits: those are its members
        # zh: 过拟合的 VAE 只见过均匀取出的 64 张训练数字：它们就是它的成员
        overfit_members = x_train[spread_subset(len(x_train), overfit_card["train_examples"])]
        scores = {
            T("VAE, loss threshold", "VAE，损失阈值"): membership.loss_threshold_attack(vae, members, nonmembers),
            T("DCGAN, LOGAN", "DCGAN，LOGAN"): membership.logan_attack(dcgan, members, x_held, n_anchors=4),
            T("over-fitted VAE", "过拟合的 VAE"): membership.loss_threshold_attack(overfit, overfit_members, nonmembers),
        }
        print(f"{pad(T('attack', '攻击'), 22, '<')}{pad(T('members', '成员'), 8)}{pad(T('non-members', '非成员'), 13)}{'AUC [95%]':>24}{pad(T('TPR @ 1% FPR [95%]', '1% 假阳性率处的真阳性率 [95%]'), 30)}  " + T("vs guessing", "与随机猜测相比"))
        for name, (s_in, s_out) in scores.items():
            r = membership.attack_summary(s_in, s_out, fpr=0.01)
            iv = membership.attack_intervals(s_in, s_out, fpr=0.01)
            # en: guessing has AUC 0.5 and TPR = FPR: an attack beats it only where its interval lies above
            # zh: 随机猜测的 AUC 为 0.5，真阳性率等于假阳性率：只有区间整个高于这些值，攻击才算胜过随机猜测
            beats = iv["auc"].low > 0.5 or iv["tpr_at_fpr"].low > 0.01
            print(f"{pad(name, 22, '<')}{r['members']:>8}{r['nonmembers']:>13}{iv['auc'].format(3):>24}{iv['tpr_at_fpr'].format(3):>30}  "
                  + (T("better", "更好") if beats else T("no difference", "看不出差别")))
        for name in (T("VAE, loss threshold", "VAE，损失阈值"), T("over-fitted VAE", "过拟合的 VAE")):
            s_in, s_out = scores[name]
            print(name + T(": mean -ELBO of members", "：成员的平均 -ELBO"), f"{-float(s_in.mean()):.2f}",
                  T("| of non-members", "| 非成员"), f"{-float(s_out.mean()):.2f}", T("nats", "奈特"),
                  T("| members scoring above every non-member:", "| 得分高于所有非成员的成员数："), int((s_in > s_out.max()).sum()))
        """
    ),
    md(
        en=r"""
        **The formula, checked.** The AUC was computed as the area under the ROC curve (trapezoids). It must equal
        the fraction of (member, non-member) pairs that the score orders correctly — here about a million pairs,
        counted one by one:
        """,
        zh=r"""
        **验证公式。** 上面的 AUC 是按 ROC 曲线下的面积（梯形法）算的。它应当等于分数排对了顺序的（成员，非成员）对所占的比例——
        这里约有一百万对，逐一数过：
        """,
    ),
    code(
        """
        s_in, s_out = scores[T("VAE, loss threshold", "VAE，损失阈值")]
        pairs = (s_in[:, None] > s_out[None]).double() + 0.5 * (s_in[:, None] == s_out[None]).double()
        print(T("AUC from the ROC:", "由 ROC 算出的 AUC："), f"{membership.auc(membership.roc_curve(s_in, s_out)):.6f}",
              T("| fraction of pairs ordered right:", "| 排对顺序的样本对比例："), f"{float(pairs.mean()):.6f}",
              T("| pairs:", "| 样本对数："), pairs.numel())
        """
    ),
    md(
        en=r"""
        Both attacks are close to guessing on the book's two models: AUCs near 0.5 and TPRs at 1 % FPR near 1 %. The
        VAE's members and non-members have almost the same mean loss (the cell above printed both), and by Yeom et
        al.'s analysis a small generalisation gap leaves a loss-threshold attack little to work with. The DCGAN's
        discriminator, trained for 150 epochs, does not separate the two sets either.

        **What leaking looks like.** The third row is an MLP VAE trained deliberately badly: 64 digits, 1,500
        epochs, by the one command printed at the top of the chapter. Its training loss is far below its held-out
        loss, and the same loss-threshold attack now separates members from non-members almost perfectly; at 1 %
        FPR it picks out about a quarter of the members, and a few members score above *every* non-member — they
        are identified with no false alarm at all.

        This is a statement about *these* attacks on *these* models — small networks and few epochs for the
        book's models — not a proof of privacy: stronger attacks exist (the likelihood-ratio attack of Carlini et al. trains many
        shadow models), and only a guarantee such as differential privacy bounds *every* attack.

        The ROC curve on log–log axes shows the low-FPR end, where the argument above says the privacy risk lives;
        the dashed diagonal is guessing.
        """,
        zh=r"""
        在本书的两个模型上，两种攻击都接近随机猜测：AUC 都接近 0.5，1% 假阳性率处的真阳性率都接近 1%。VAE 的成员与非成员的平均损失几乎相同
        （上面的单元格打印了两者），按照 Yeom 等人的分析，泛化差距很小时，损失阈值攻击就几乎无从下手。DCGAN 的判别器训练了 150 轮，
        同样分不开这两组数字。

        **泄露是什么样子。** 第三行是一个故意训练坏了的 MLP VAE：只用 64 张数字训练 1,500 轮，由本章开头打印的那一条命令训练而成。
        它的训练损失远低于留出数据上的损失，同样的损失阈值攻击现在几乎能把成员与非成员完全分开：在 1% 的假阳性率下就能认出约四分之一的成员，
        还有几个成员的得分高于*所有*非成员——它们被认了出来，而且没有一次误报。

        这些结论针对的是*这些*攻击对*这些*模型的结果——本书的模型网络小、轮数少——而不是隐私的证明：
        还有更强的攻击（Carlini 等人的似然比攻击要训练许多影子模型），只有差分隐私这样的保证才能给*所有*攻击设上界。

        双对数坐标下的 ROC 曲线展示了低假阳性率的那一端——按照上面的论证，隐私风险正在这里；虚线对角线代表随机猜测。
        """,
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(5.2, 4.2))
        for name, (s_in, s_out) in scores.items():
            roc = membership.roc_curve(s_in, s_out)
            ax.plot(roc.fpr[1:].numpy(), roc.tpr[1:].numpy(), label=f"{name} (AUC {membership.auc(roc):.3f})")
        grid = np.logspace(-3, 0, 50)
        ax.plot(grid, grid, "k--", lw=1, label=T("guessing", "随机猜测"))
        ax.axvline(0.01, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1e-3, 1)
        ax.set_ylim(1e-3, 1)
        ax.set_xlabel(T("false-positive rate", "假阳性率"))
        ax.set_ylabel(T("true-positive rate", "真阳性率"))
        ax.set_title(T("Membership inference on the book's models", "对本书模型的成员推断"))
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        **Try it.** In JupyterLab the slider below is live: it moves the attack's threshold on the VAE, shows where
        that threshold cuts the two score histograms, and marks the resulting point on the ROC. (The printed book
        shows its starting position; the figure above is the static version.)
        """,
        zh=r"""
        **动手试试。** 在 JupyterLab 中，下面的滑块是可以交互的：它移动对 VAE 攻击的阈值，显示该阈值在两组分数直方图上的位置，
        并在 ROC 上标出对应的点。（在书中它只显示初始状态；上面的图是它的静态版本。）
        """,
    ),
    code(
        """
        vae_in, vae_out = scores[T("VAE, loss threshold", "VAE，损失阈值")]
        vae_roc = membership.roc_curve(vae_in, vae_out)


        def threshold_figure(fpr_target):
            # en: the threshold that accuses this fraction of the non-members
            # zh: 使这一比例的非成员被误判为成员的阈值
            t = float(torch.quantile(vae_out, 1 - fpr_target))
            tpr, fpr = float((vae_in >= t).double().mean()), float((vae_out >= t).double().mean())
            fig, (a, b) = plt.subplots(1, 2, figsize=(8.4, 3.0))
            bins = np.linspace(float(min(vae_in.min(), vae_out.min())), float(max(vae_in.max(), vae_out.max())), 40)
            a.hist(vae_in.numpy(), bins=bins, alpha=0.6, label=T("members", "成员"))
            a.hist(vae_out.numpy(), bins=bins, alpha=0.6, label=T("non-members", "非成员"))
            a.axvline(t, color="k")
            a.set_xlabel(T("score = ELBO (nats)", "分数 = ELBO（奈特）"))
            a.legend(fontsize=8)
            b.plot(vae_roc.fpr.numpy(), vae_roc.tpr.numpy())
            b.plot([0, 1], [0, 1], "k--", lw=1)
            b.plot([fpr], [tpr], "ro")
            b.set_xlabel(T("false-positive rate", "假阳性率"))
            b.set_ylabel(T("true-positive rate", "真阳性率"))
            b.set_title(T(f"threshold {t:.1f}: TPR {tpr:.3f}, FPR {fpr:.3f}", f"阈值 {t:.1f}：真阳性率 {tpr:.3f}，假阳性率 {fpr:.3f}"), fontsize=9)
            fig.tight_layout()
            return fig


        # en: slider_figure redraws the figure whenever the slider moves (live in JupyterLab)
        # zh: 每当滑块移动，slider_figure 就重新绘图（在 JupyterLab 中实时生效）
        fpr_slider = widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.1,
                                            description=T("target FPR", "目标假阳性率"), continuous_update=False)
        slider_figure(threshold_figure, fpr_slider)
        """
    ),
    md(
        en=r"""
        ## 2 · Labelling and provenance

        ### 2.1 · Images: a visible label, a metadata label and a watermark

        China's *Measures for Labelling AI-Generated and Synthetic Content* {cite:p}`cac2025labelling` (issued
        2025-03-14, in force 2025-09-01) ask a generation service for two labels on what it produces: an
        **explicit label**, which people can see (for an image, text such as "AI生成" on the image), and an
        **implicit label** in the file's **metadata**, which records that the content is AI-generated, the service
        provider's name or code, and a content ID. The mandatory national standard issued with them, GB 45438-2025
        {cite:p}`gb45438`, names the metadata fields; `labels.implicit_label` fills them and `labels.save_png`
        writes them as JSON under the key `AIGC` in an `iTXt` chunk of the PNG file. The measures also forbid
        removing or tampering with these labels — which says nothing about what happens to them by accident.

        We publish 100 DCGAN samples the way a careful service would: chapter 1's keyed watermark (key 2024,
        strength 0.1) in the pixels, the image enlarged 4× to 112 × 112, a visible label whose text is 14 % of the
        image's height (the standard asks for at least 5 % of the shorter side), and the metadata label. Then each
        file goes through what happens to images on the way around the internet:

        * **copy** — the file sent as a file, byte for byte;
        * **JPEG** — decoded and saved again as JPEG at quality 75 (an "export", or a chat app's compression);
        * **crop** — the top-left 84 × 84 pixels kept (an editor's crop, saved as a new PNG);
        * **screenshot** — shown at 1.5× with bilinear interpolation and those screen pixels saved.

        A verifier reads the metadata, measures how much of the visible label is still inside the picture, and
        scales the picture back to 28 × 28 to test for the watermark.
        """,
        zh=r"""
        ## 2 · 标识与溯源

        ### 2.1 · 图像：显式标识、元数据标识和水印

        我国的《人工智能生成合成内容标识办法》{cite:p}`zh-cac2025labelling`（2025 年 3 月 14 日发布，2025 年 9 月 1 日起施行）
        要求生成服务为其生成的内容加上两种标识：一种是人能看见的**显式标识**（对图像而言，是图上 `AI生成` 之类的文字，本章的代码画的就是这几个字），
        另一种是写在文件**元数据**里的**隐式标识**，记录内容由人工智能生成、服务提供者的名称或编码，以及内容编号。
        与办法配套发布的强制性国家标准 GB 45438-2025 {cite:p}`zh-gb45438` 规定了元数据的字段；`labels.implicit_label` 填写这些字段，
        `labels.save_png` 把它们以 JSON 格式写进 PNG 文件的一个 `iTXt` 块，键名为 `AIGC`。办法还禁止删除、篡改这些标识——
        但对于标识在无意之中丢失，它无能为力。

        我们像一个认真的服务那样发布 100 张 DCGAN 样本：像素里加入第 1 章的带密钥水印（密钥 2024，强度 0.1），把图像放大 4 倍到 112 × 112，
        加上文字高度为图像高度 14% 的显式标识（标准要求不低于短边的 5%），再写入元数据标识。然后让每个文件经历图像在网上流传时常见的遭遇：

        * **复制**——把文件原样发送，逐字节不变；
        * **JPEG**——解码后以质量 75 重新存为 JPEG（“导出”，或聊天软件的压缩）；
        * **裁剪**——保留左上角 84 × 84 像素（用编辑软件裁剪，另存为新的 PNG）；
        * **截屏**——以 1.5 倍双线性插值显示，再把这些屏幕像素存下来。

        核验方读取元数据，测量显式标识还有多少留在画面之内，再把画面缩回 28 × 28 检测水印。
        """,
    ),
    code(
        """
        # en: chapter 1's watermark
        # zh: 第 1 章的水印
        KEY, STRENGTH, THRESHOLD = 2024, 0.1, 4.0
        published = dcgan.sampling_generator.sample(100, generator=torch.Generator().manual_seed(6))
        published = embed_watermark(published, KEY, STRENGTH)
        folder = Path(tempfile.mkdtemp())
        label_box = labels.explicit_label_box((112, 112))


        def label_in_frame(path):
            # en: the share of the visible label's area still inside the picture (the crop keeps the box (0, 0, 84, 84))
            # zh: 显式标识的面积还有多少比例留在画面之内（裁剪保留的是 (0, 0, 84, 84) 这个区域）
            x0, y0, x1, y1 = label_box
            w, h = (84, 84) if "crop" in path.name else (112, 112)
            inside = max(0, min(x1, w) - x0) * max(0, min(y1, h) - y0)
            return inside / ((x1 - x0) * (y1 - y0))


        steps = {T("published", "发布"): [], T("copy", "复制"): [], "JPEG": [], T("crop", "裁剪"): [], T("screenshot", "截屏"): []}
        for i in range(len(published)):
            picture = labels.add_explicit_label(labels.to_image(published[i], scale=4))
            original = labels.save_png(picture, folder / "published.png",
                                       labels.implicit_label("生成式人工智能课程示例服务", f"dcgan-offline-{i:04d}"))
            files = [original, labels.copy_file(original, folder / "copy.png"), labels.reencode_jpeg(original, folder / "export.jpg", 75),
                     labels.crop(original, folder / "crop.png", (0, 0, 84, 84)), labels.screenshot(original, folder / "screenshot.png", 1.5)]
            for name, path in zip(steps, files):
                steps[name].append((labels.read_implicit_label(path) is not None, label_in_frame(path),
                                    float(watermark_score(labels.to_digits(path), KEY)) > THRESHOLD))

        print(T("the implicit label of the last file:", "最后一个文件的隐式标识："), labels.read_implicit_label(original))
        print(T("watermark detected in the 100 images before labelling:", "加标识之前 100 张图像的水印检出率："),
              float((watermark_score(published, KEY) > THRESHOLD).float().mean()))
        print()
        print(f"{pad(T('step', '环节'), 12, '<')}{pad(T('metadata label kept', '元数据标识保留'), 22)}{pad(T('visible label in frame', '显式标识在画面内'), 24)}{pad(T('watermark detected', '水印检出'), 20)}")
        for name, rows in steps.items():
            kept, frame, found = (np.mean([r[j] for r in rows]) for j in range(3))
            print(f"{pad(name, 12, '<')}{kept:>22.2f}{frame:>24.2f}{found:>20.2f}")
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
        for ax, (title, path) in zip(axes, [(T("published", "发布"), folder / "published.png"), ("JPEG", folder / "export.jpg"),
                                            (T("crop", "裁剪"), folder / "crop.png"), (T("screenshot", "截屏"), folder / "screenshot.png")]):
            from PIL import Image

            with Image.open(path) as im:
                ax.imshow(np.asarray(im.convert("L")), cmap="gray", vmin=0, vmax=255)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        fig.suptitle(T("One labelled sample, and what becomes of it", "一张加了标识的样本及其遭遇"), fontsize=10)
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        Each label fails in its own way, which is why the measures ask for more than one. The metadata label
        survives only a byte-for-byte copy: every step that decodes and re-encodes the pixels drops it. The
        visible label survives re-encoding and the screenshot, and is simply cut off by a crop of the other corner.
        The watermark lives in the pixels, so it survives the JPEG export and most screenshots, but the crop
        changes the scale at which the verifier reads the pixels, and it is gone. (The visible label covers part of
        the watermark pattern, which is why some published images already fail the test; compare the detection
        rate before labelling.) A verifier who knows how the image was cropped could re-align it — exercise 4.
        """,
        zh=r"""
        三种标识各有各的失效方式，这正是办法要求不止一种标识的原因。元数据标识只有在逐字节复制时才能保留：任何对像素解码再编码的环节都会把它丢掉。
        显式标识在重新编码和截屏之后依然可见，但裁掉另一个角就把它整个剪掉了。水印在像素之中，所以经得住 JPEG 导出和大多数截屏，
        可裁剪改变了核验方读取像素的尺度，水印也就检不出来了。（显式标识遮住了一部分水印图案，所以有些刚发布的图像就已经检不出水印；
        可以与加标识之前的检出率比较。）如果核验方知道图像是怎样裁剪的，就可以把它重新对齐——见练习 4。
        """,
    ),
    md(
        en=r"""
        ### 2.2 · Text: a green-list watermark in the GPT's sampler

        A label on an image can be cut off; a text can be retyped. Kirchenbauer et al. {cite:p}`kirchenbauer2023watermark`
        hide the mark in the *choice of words* instead. At every step the previous token and a secret key seed a
        pseudo-random split of the vocabulary into a **green list** (a fraction $\gamma$ of the tokens) and a red
        list, and the sampler adds $\delta$ to the logits of the green tokens. The text leans green, but no token is
        forced. Detection needs the key and the text — not the model. Among $T$ scored tokens with $|s|_G$ green,

        $$z=\frac{|s|_G-\gamma T}{\sqrt{T\gamma(1-\gamma)}} ,$$

        which is approximately standard normal for text written without the key (each token is green with
        probability $\gamma$, whatever the text). The test is **one-sided**: only an excess of green is evidence, and
        we flag $z>4$, whose nominal false-positive rate is $P(Z>4)\approx 3\times10^{-5}$.

        We use the book's GPT from chapter 4 (its tokens are characters), $\gamma=0.5$, $\delta=2$, temperature 1,
        and continue 32 four-character prompts taken from the book's text by 120 characters each, once with the
        watermark and once without (the same random draws).
        """,
        zh=r"""
        ### 2.2 · 文本：GPT 采样器中的绿名单水印

        图像上的标识可以被裁掉；文本则可以重新敲一遍。Kirchenbauer 等人 {cite:p}`zh-kirchenbauer2023watermark` 转而把标记藏在*用词的选择*里。
        每一步，前一个词元和一个秘密密钥共同决定一个伪随机的划分，把词表分成**绿名单**（占词元的比例为 $\gamma$）和红名单，
        采样器给绿名单词元的 logit 加上 $\delta$。这样生成的文本偏向绿色，但没有哪个词元是被强制选中的。检测只需要密钥和文本，不需要模型。
        在 $T$ 个参与计分的词元中，若有 $|s|_G$ 个是绿色的，则

        $$z=\frac{|s|_G-\gamma T}{\sqrt{T\gamma(1-\gamma)}} ,$$

        对于不知道密钥时写成的文本，它近似服从标准正态分布（无论文本是什么，每个词元是绿色的概率都是 $\gamma$）。
        这个检验是**单侧**的：只有绿色过多才算证据。我们在 $z>4$ 时判定含水印，其名义假阳性率为 $P(Z>4)\approx 3\times10^{-5}$。

        我们使用第 4 章中用本书训练的 GPT（它的词元是字符），取 $\gamma=0.5$、$\delta=2$、温度为 1，从本书正文中取 32 个四字符的提示，
        每个续写 120 个字符，有水印、无水印各一次（两次用的是同样的随机数）。
        """,
    ),
    code(
        """
        gpt, tok, gpt_card = load_gpt()
        corpus = load_corpus()
        GAMMA, DELTA, TEXT_KEY = 0.5, 2.0, 2024
        green = tw.green_lists(TEXT_KEY, tok.vocab_size, GAMMA)
        starts = torch.randint(0, len(corpus) - 4, (32,), generator=torch.Generator().manual_seed(0))
        prompts = torch.tensor([tok.encode(corpus[s:s + 4]) for s in starts.tolist()])
        marked_text = tw.watermarked_generate(gpt, prompts, 120, green, delta=DELTA, generator=torch.Generator().manual_seed(1))
        plain_text = tw.watermarked_generate(gpt, prompts, 120, None, generator=torch.Generator().manual_seed(1))
        print(T("watermarked:", "有水印："), repr(tok.decode(marked_text[0, 4:64].tolist())))
        print(T("without:    ", "无水印："), repr(tok.decode(plain_text[0, 4:64].tolist())))

        # en: the z-score of the first watermarked text, by hand and by the library
        # zh: 第一段有水印文本的 z 分数：手算一遍，再用库函数算一遍
        ids = marked_text[0, 4:]
        n_green = int(green[ids[:-1], ids[1:]].sum())
        n = len(ids) - 1
        print(T("green tokens:", "绿色词元："), n_green, T("of", "/"), n, T("| z by hand:", "| 手算 z："), f"{(n_green - GAMMA * n) / math.sqrt(n * GAMMA * (1 - GAMMA)):.3f}",
              T("| z from tw.detect:", "| tw.detect 给出的 z："), f"{tw.detect(ids, green, GAMMA)[1]:.3f}")
        """
    ),
    code(
        """
        lengths = [10, 25, 50, 75, 100, 120]
        print(f"{pad(T('characters', '字符数'), 10)}{pad(T('scoring', '计分方式'), 16)}{pad(T('watermarked flagged', '有水印检出'), 22)}{pad(T('unwatermarked flagged', '无水印误报'), 24)}")
        rates = {}
        for ignore in (False, True):
            rates[ignore] = ([np.mean([tw.detect(r[4:4 + L], green, GAMMA, ignore_repeated=ignore)[0] for r in marked_text]) for L in lengths],
                             [np.mean([tw.detect(r[4:4 + L], green, GAMMA, ignore_repeated=ignore)[0] for r in plain_text]) for L in lengths])
            for L, a, b in zip(lengths, *rates[ignore]):
                print(f"{L:>10}{pad((T('distinct pairs', '不同字符对') if ignore else T('all pairs', '全部字符对')), 16)}{a:>22.3f}{b:>24.3f}")
        rate_marked, rate_plain = rates[True]

        # en: the book's own text, cut into pieces of 120 characters, was written without the key
        # zh: 本书自己的文本是在不知道密钥的情况下写成的，把它切成 120 个字符一段
        book_ids = torch.tensor(tok.encode(corpus))
        pieces = book_ids[: len(book_ids) // 120 * 120].view(-1, 120)
        for ignore in (False, True):
            z_book = torch.tensor([tw.detect(p, green, GAMMA, ignore_repeated=ignore)[1] for p in pieces])
            print(T("book text, ", "本书文本，") + (T("each distinct pair once", "不同字符对各计一次") if ignore else T("every pair", "全部字符对")),
                  T(f"| pieces: {len(pieces)} | flagged: {float((z_book > THRESHOLD).float().mean()):.4f} | mean z {float(z_book.mean()):.2f}, sd {float(z_book.std()):.2f}, max {float(z_book.max()):.2f}",
                    f"| 段数：{len(pieces)} | 假阳性率：{float((z_book > THRESHOLD).float().mean()):.4f} | z 均值 {float(z_book.mean()):.2f}，标准差 {float(z_book.std()):.2f}，最大 {float(z_book.max()):.2f}"))
        print(T("nominal false-positive rate at z > 4:", "z > 4 的名义假阳性率："), f"{tw.false_positive_rate(THRESHOLD):.1e}")
        """
    ),
    md(
        en=r"""
        Detection needs text: at 10 characters nothing is flagged, and the rate climbs with length; scored over
        all pairs, every watermarked continuation of 120 characters is caught (the table above), and no
        unwatermarked one is accused. The book's own text is a harder null than the
        theory assumes. Scored character by character, its z-scores spread wider than a standard normal, with a
        mean away from 0 — natural text repeats pairs of characters ("th", "的 "), a repeated pair is green or red
        every time, and for *one fixed key* a corpus can lean green or red as a whole (the same point chapter 1
        makes about its image watermark: the guarantee holds over a key drawn at random) — and a few of its pieces
        are accused. Scoring each distinct pair once brings the spread close to 1 and removes the false alarms, at a
        price in power: fewer watermarked continuations are caught at each length. From here on we score distinct
        pairs. Next: what the watermark costs, and what edits do to it.

        **The price.** The watermark changes the sampling distribution, so the text is less likely under the model
        itself. We measure the model's own cross-entropy, in bits per character, of the watermarked and the
        unwatermarked continuations. **Edits.** We replace a fraction of the characters of each watermarked
        continuation by random characters of the vocabulary and test again.
        """,
        zh=r"""
        检测需要足够长的文本：10 个字符时一段也检不出，检出率随长度上升；按全部字符对计分时，每一段 120 个字符的有水印续写都被检出（见上表），
        而无水印的续写一段也没有被冤枉。本书自己的文本作为零假设，
        比理论假定的要难对付。逐字符计分时，它的 z 分数比标准正态分布散得更开，均值也偏离 0——自然文本会反复出现同样的字符对（“th”、“的是”），
        一个重复的字符对每次出现都同为绿色或同为红色；而且对*某一个固定的密钥*而言，整个语料可能整体偏绿或偏红（第 1 章对图像水印也指出了同一点：
        保证只在密钥随机抽取时成立）——于是有几段被冤枉了。每个不同的字符对只计一次，标准差就接近 1，误报也消失了，
        代价是检验的功效下降：在每个长度上被检出的有水印续写都少了一些。此后我们只对不同的字符对计分。接下来看水印的代价，以及改动文字对它有什么影响。

        **代价。** 水印改变了采样分布，因此生成的文本在模型自己看来可能性更低。我们用模型自身的交叉熵（每字符比特数）来衡量有水印和无水印的续写。
        **改动。** 把每段有水印续写中的一部分字符换成词表里的随机字符，再检测一次。
        """,
    ),
    code(
        """
        @torch.no_grad()
        def bits_per_char_of(seqs):
            # en: the model's cross-entropy of the generated characters (not the prompts), in bits
            # zh: 模型对生成字符（不含提示）的交叉熵，单位为比特
            logits, _ = gpt(seqs[:, :-1])
            logp = torch.log_softmax(logits, -1).gather(2, seqs[:, 1:, None])[..., 0]
            return float(-logp[:, 3:].mean()) / math.log(2)


        bpc_marked, bpc_plain = bits_per_char_of(marked_text), bits_per_char_of(plain_text)
        print(T("bits per character, watermarked:", "有水印的每字符比特数："), f"{bpc_marked:.3f}",
              T("| unwatermarked:", "| 无水印："), f"{bpc_plain:.3f}", T("| price:", "| 代价："), f"{bpc_marked - bpc_plain:.3f}")

        fractions = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
        edit_rng = torch.Generator().manual_seed(2)
        edited_z = {}
        for f in fractions:
            zs = []
            for r in marked_text:
                r = r[4:].clone()
                k = round(f * len(r))
                where = torch.randperm(len(r), generator=edit_rng)[:k]
                r[where] = torch.randint(0, tok.vocab_size, (k,), generator=edit_rng)
                zs.append(tw.detect(r, green, GAMMA, ignore_repeated=True)[1])
            edited_z[f] = np.array(zs)
        print(f"{pad(T('edited share', '改动比例'), 12)}{pad(T('mean z', 'z 均值'), 10)}{pad(T('still flagged', '仍被检出'), 16)}")
        for f, zs in edited_z.items():
            print(f"{f:>12.1f}{zs.mean():>10.2f}{(zs > THRESHOLD).mean():>16.3f}")
        """
    ),
    code(
        """
        fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
        a.plot(lengths, rate_marked, "o-", label=T("watermarked", "有水印"))
        a.plot(lengths, rate_plain, "s--", label=T("unwatermarked", "无水印"))
        a.set_xlabel(T("characters scored", "参与计分的字符数"))
        a.set_ylabel(T("share flagged (z > 4)", "检出比例（z > 4）"))
        a.legend(fontsize=8)
        b.boxplot([edited_z[f] for f in fractions], positions=range(len(fractions)))
        b.set_xticks(range(len(fractions)), [f"{f:.0%}" for f in fractions])
        b.axhline(THRESHOLD, color="r", lw=1, ls=":")
        b.set_xlabel(T("characters replaced", "被替换的字符比例"))
        b.set_ylabel("z")
        fig.suptitle(T("The text watermark: length helps, edits hurt", "文本水印：越长越好检，改动越多越难检"), fontsize=10)
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        The watermark costs a little likelihood (the price printed above is the difference in the model's own
        bits per character), and it is fragile in a way that a reader can see: replacing a fifth of the characters
        brings most continuations below the threshold, and a third almost all of them, because each replaced character breaks
        two green-list decisions, its own and its successor's. A watermark of this kind proves that a key holder's
        sampler wrote a text that no one has rewritten much; it cannot prove that a text was *not* machine-written.

        ## 3 · Telling generated from real

        If labels can be lost, can we recognise generated content by looking at it? A small CNN detector
        (`detector.RealFakeCNN`, two convolutions) was trained by `python -m course_lib study detector` on the
        4,000 training digits against 4,000 DCGAN samples, all stored as 8-bit grey levels as a published image
        would be (real digits are 8-bit; unrounded generator outputs would give themselves away by never being
        exactly 0). A fifth of each set was held back, and training ran until the accuracy on it had not improved
        for 8 epochs; the weights of the best epoch were kept. (The validation curve, printed below, starts at chance
        and climbs for dozens of epochs: a detector trained for a few epochs would report only its ignorance.) We test it on the held-out digits,
        on fresh DCGAN samples, and on samples of the VAE, which it never saw, with 95% bootstrap intervals.
        """,
        zh=r"""
        水印会损失一点似然（上面打印的代价，就是模型自身每字符比特数之差），而且它的脆弱一眼可见：替换五分之一的字符，
        大多数续写的 z 分数就会落到阈值以下，替换三分之一则几乎全部落到阈值以下，因为每替换一个字符，就破坏两次绿名单判断——它自己的和它下一个字符的。这种水印能证明的是：
        某段文本出自持有密钥者的采样器，且没有被大幅改写；它无法证明一段文本*不是*机器写的。

        ## 3 · 分辨生成与真实

        既然标识可能丢失，能不能只看内容本身就认出它是生成的？一个小型 CNN 检测器（`detector.RealFakeCNN`，两层卷积）由
        `python -m course_lib study detector` 训练：4,000 张训练数字对 4,000 张 DCGAN 样本，全部像发布的图像那样存为 8 位灰度
        （真实数字本来就是 8 位的；未经取整的生成器输出永远不会恰好为 0，会不打自招）。每组留出五分之一做验证，训练一直进行到验证准确率连续
        8 轮没有提高为止，并保留最好那一轮的权重。（下面打印的验证曲线从随机猜测的水平起步，要爬升几十轮：只训练几轮的检测器，报告的只是它自己的无知。）
        我们在留出数字、新的 DCGAN 样本，以及它从未见过的 VAE 样本上检验它，并给出 95% 自助法置信区间。
        """,
    ),
    code(
        """
        as_8bit = detector.as_8bit
        fit, detector_card = detector.load_detector_study()
        judge = fit.model
        print(T("made by:", "训练命令："), detector_card["command"])
        print(T("validation accuracy, every 4th epoch:", "验证准确率（每隔 4 轮）："), [round(a, 3) for a in fit.val_accuracy[::4]])
        print(T(f"kept the weights of epoch {fit.best_epoch} of {len(fit.val_accuracy)} (validation accuracy {max(fit.val_accuracy):.3f})",
                f"保留第 {fit.best_epoch} 轮的权重（共训练 {len(fit.val_accuracy)} 轮；验证准确率 {max(fit.val_accuracy):.3f}）"))
        fresh_gan = as_8bit(dcgan.sampling_generator.sample(1000, generator=torch.Generator().manual_seed(8)))
        vae_samples = as_8bit(vae.sample(1000, generator=torch.Generator().manual_seed(9)))
        real_ok = (~detector.predict_generated(judge, x_held)).double().numpy()
        print(f"{pad(T('generated set', '生成样本'), 24, '<')}{pad(T('real judged real', '真实判为真实'), 18)}{pad(T('generated caught', '生成被识破'), 18)}{pad(T('balanced accuracy [95%]', '平衡准确率 [95%]'), 26)}  " + T("vs a coin", "与抛硬币相比"))
        for name, fakes in ((T("DCGAN (fresh samples)", "DCGAN（新样本）"), fresh_gan), (T("VAE (never seen)", "VAE（从未见过）"), vae_samples)):
            fake_ok = detector.predict_generated(judge, fakes).double().numpy()
            # en: balanced accuracy = the mean over (real, generated) pairs; bootstrap over the pairs
            # zh: 平衡准确率 = 各（真实，生成）对的平均；对这些对做自助法
            acc = bootstrap_interval(np.stack([real_ok, fake_ok], axis=1))
            side = T("better", "更好") if acc.low > 0.5 else T("worse", "更差") if acc.high < 0.5 else T("no difference", "看不出差别")
            print(f"{pad(name, 24, '<')}{real_ok.mean():>18.3f}{fake_ok.mean():>18.3f}{acc.format(3):>26}  {side}")
        """
    ),
    md(
        en=r"""
        What this measures, and no more. Trained until it stopped improving, the detector tells fresh DCGAN digits
        from real ones clearly better than a coin, though far from perfectly: its interval says about three pairs
        in four. It also catches the VAE's samples, which it never saw, and more often still (the two intervals do
        not overlap) — but the VAE is the *weaker* generator (chapter 5's Fréchet distances), and its blur is easy
        to see. So transfer to an easier generator is all this shows; whether a detector catches a generator
        *better* than the one it was trained on is the hard case, and it is not measured here (exercise 3 turns
        the question round). Detection is an arms race that the detector starts behind: it has to find whatever
        statistic the generator gets wrong, and a better or merely *different* generator gets different things
        wrong. That is the reason the labelling measures require providers to *label* what they generate rather
        than leave it to others to detect.
        """,
        zh=r"""
        这里测到了什么，又只测到了什么。训练到不再进步之后，检测器区分新的 DCGAN 数字与真实数字的能力明显好于抛硬币，但离完美还远：
        按它的区间，大约四对里能判对三对。它也能抓住从未见过的 VAE 样本，而且抓得更多（两个区间不重叠）——但 VAE 是*更弱*的生成器
        （见第 5 章的弗雷歇距离），它的模糊一眼可见。所以这里只表明检测能推广到一个更容易的生成器；检测器能否抓住比训练时所见*更好*的生成器，
        才是难的情形，而这里没有测（练习 3 把问题反过来问）。检测是一场检测方起步就落后的军备竞赛：它必须找出生成器弄错的某种统计特征，
        而一个更好的、或者仅仅是*不同*的生成器，弄错的地方也不同。这正是标识办法要求服务提供者主动*标识*其生成内容、而不是留给别人去检测的理由。
        """,
    ),
    md(
        en=r"""
        ## 4 · Memorisation in the GPT: canaries and exposure

        A language model trained on text that contains a secret — a password, a phone number — may learn the secret
        itself. *The Secret Sharer* {cite:p}`carlini2019secret` measures this with **canaries**: a sentence with a
        random secret is inserted into the training text $k$ times, and afterwards one asks how strongly the model
        prefers the true secret to every other possible one. With the candidate space $\mathcal R$ (here every
        string of $d = 5$ digits, $|\mathcal R| = 10^5$) and

        $$\operatorname{rank}(r) = 1 + \#\{r' \in \mathcal R : \log p(\text{prefix}\,r') > \log p(\text{prefix}\,r)\},\qquad
          \text{exposure}(r) = \log_2 |\mathcal R| - \log_2 \operatorname{rank}(r),$$

        the exposure is 0 bits when the model likes every other candidate better, and $\log_2 10^5 \approx 16.6$
        bits when it ranks the secret first. A model that never saw the secret gives it a rank that is uniform over
        the candidates, so it ranks the secret $r$ or better with probability $p = r/|\mathcal R|$, and
        $\text{exposure} = -\log_2 p$: exposure is that chance in bits. Such a model's exposure is small on average
        (about $\log_2 e \approx 1.4$ bits), and above $\log_2 20 \approx 4.3$ bits with probability 5 %; the table
        below calls a secret *memorised* where its $p$ is under 0.05.
        Carlini et al. estimate the rank by sampling because their $\mathcal R$ is huge; five digits are few enough to score **every**
        candidate exactly: the candidates form a tree of ten first digits, ten second digits under each, and so on,
        and the model scores one level of the tree per step, with the prefix's keys and values computed once
        (`canary.candidate_log_probs`).

        Four tiny GPTs (2 blocks, width 64) were trained on copies of the book's text into which an English and a
        Chinese canary were inserted 0, 1, 4 and 16 times, one command each (`python -m course_lib train canary_gpt
        --repeats K`, printed below). The secrets are random digit strings, drawn once and recorded in the model
        cards. We compute each secret's exact rank and exposure, and try the direct attack too: give the model the
        prefix and let it continue greedily.
        """,
        zh=r"""
        ## 4 · GPT 的记忆：金丝雀与暴露度

        如果训练文本里含有秘密——密码、电话号码——语言模型可能会把秘密本身也学会。《秘密分享者》{cite:p}`zh-carlini2019secret`
        用**金丝雀**来测量这一点：把一个带随机秘密的句子插入训练文本 $k$ 次，训练之后再问：模型对真正的秘密，比对其他所有可能的秘密偏爱多少？
        记候选空间为 $\mathcal R$（这里是所有 $d = 5$ 位的数字串，$|\mathcal R| = 10^5$），定义

        $$\operatorname{rank}(r) = 1 + \#\{r' \in \mathcal R : \log p(\text{prefix}\,r') > \log p(\text{prefix}\,r)\},\qquad
          \text{exposure}(r) = \log_2 |\mathcal R| - \log_2 \operatorname{rank}(r),$$

        即**暴露度**：模型觉得其他候选都比秘密更可能时，暴露度为 0 比特；模型把秘密排在第一位时，暴露度为 $\log_2 10^5 \approx 16.6$ 比特。
        从未见过秘密的模型给出的名次在所有候选中均匀分布，所以它把秘密排到第 $r$ 名或更前的概率是 $p = r/|\mathcal R|$，
        而 $\text{exposure} = -\log_2 p$：暴露度就是这个随机概率以比特计的大小。这样的模型平均暴露度很小（约 $\log_2 e \approx 1.4$ 比特），
        超过 $\log_2 20 \approx 4.3$ 比特的概率只有 5%；下表在 $p$ 小于 0.05 时判定秘密“记住了”。
        Carlini 等人的候选空间极大，只能靠抽样估计名次；五位数字的候选足够少，可以**逐一**精确打分：候选构成一棵树——十个第一位数字，
        每个下面十个第二位数字，依此类推——模型每一步为树的一层打分，前缀的键和值只算一次（`canary.candidate_log_probs`）。

        我们在本书文本的副本中插入一个英文和一个中文金丝雀，分别插入 0、1、4、16 次，各用一条命令（`python -m course_lib train canary_gpt
        --repeats K`，见下面的打印）训练了四个微型 GPT（2 个块，宽度 64）。秘密是随机抽取的数字串，只抽一次，记录在模型卡里。
        我们计算每个秘密的精确名次和暴露度，也试一试直接攻击：把前缀交给模型，让它贪心地续写下去。
        """,
    ),
    code(
        """
        from course_lib.responsible import canary as cn

        canary_gpts = {k: load_gpt(shipped_checkpoint(f"canary_gpt_r{k}")) for k in (0, 1, 4, 16)}
        print(T("made by:", "训练命令："), canary_gpts[16][2]["command"])
        print(f"{pad(T('repeats', '插入次数'), 8)}{pad(T('canary', '金丝雀'), 8)}{pad(T('rank', '名次'), 9)}{pad(T('exposure (bits)', '暴露度（比特）'), 17)}"
              f"{pad(T('p by chance', '随机达到的概率'), 16)}{pad(T('vs chance', '与随机相比'), 15)}{pad(T('greedy continuation', '贪心续写'), 22)}{pad(T('extracted', '被提取'), 10)}")
        exposures = {}
        for k, (g, g_tok, g_card) in canary_gpts.items():
            for c in g_card["canaries"]:
                can = cn.Canary(c["lang"], c["prefix"], c["secret"], c["end"])
                e = cn.exposure(g, g_tok, can)
                said = cn.greedy_extract(g, g_tok, can)
                exposures[(k, can.lang)] = e
                # en: a model that never saw the secret ranks it this well with probability rank / 10^5
                # zh: 从未见过秘密的模型把它排到这个名次或更前的概率是 名次 / 10^5
                memorised = e["p_chance"] < 0.05
                print(f"{k:>8}{can.lang:>8}{e['rank']:>9,}{e['exposure']:>17.2f}{e['p_chance']:>16.5f}"
                      f"{pad((T('memorised', '记住了') if memorised else T('no difference', '看不出差别')), 15)}{pad(repr(said), 22)}"
                      f"{pad((T('yes', '是') if said == can.secret else T('no', '否')), 10)}")
        print(T("largest possible exposure: log2(10^5) =", "暴露度的最大可能值：log2(10^5) ="), f"{5 * math.log2(10):.2f}",
              T("bits; memorised: p by chance < 0.05, i.e. exposure > log2(20) =", "比特；“记住了”指随机达到的概率 < 0.05，即暴露度 > log2(20) ="),
              f"{math.log2(20):.2f}", T("bits", "比特"))
        print(T("validation bits per character, 0 / 1 / 4 / 16 repeats:", "验证集每字符比特数（插入 0 / 1 / 4 / 16 次）："),
              " / ".join(f"{canary_gpts[k][2]['metrics']['val_bits_per_char']:.3f}" for k in (0, 1, 4, 16)))
        """
    ),
    md(
        en=r"""
        **The formula, checked.** The exposure above came from the tree of one-step scores. Scoring a few candidates
        the slow way — the whole sequence "prefix + five digits" through the model — must give the same
        log-probabilities, and counting the candidates that beat the secret must give its rank:
        """,
        zh=r"""
        **验证公式。** 上面的暴露度来自逐层打分的那棵树。用慢办法给几个候选打分——把整个“前缀 + 五位数字”序列送进模型——
        应当得到同样的对数概率；数一数有多少候选胜过秘密，应当得到它的名次：
        """,
    ),
    code(
        """
        g, g_tok, g_card = canary_gpts[4]
        c = g_card["canaries"][0]
        lp = cn.candidate_log_probs(g, g_tok.encode(c["prefix"]), g_tok.encode("0123456789"), 5)
        gap = 0.0
        for r in (int(c["secret"]), 0, 12345, 99999):
            ids = torch.tensor([g_tok.encode(c["prefix"] + str(r).zfill(5))])
            with torch.no_grad():
                logp = torch.log_softmax(g(ids[:, :-1])[0].double(), -1)[0]
            slow = float(logp[-5:].gather(1, ids[0, -5:, None]).sum())
            gap = max(gap, abs(slow - float(lp[r])))
            print(str(r).zfill(5), T("tree:", "树："), f"{float(lp[r]):.2f}", T("| whole sequence:", "| 整个序列："), f"{slow:.2f}")
        # en: the two ways agree up to float32 rounding in the network
        # zh: 两种算法的差别只是网络中 float32 的舍入误差
        print(T("largest |tree − whole sequence| < 1e-3 nats:", "|树 − 整个序列| 的最大值 < 1e-3 奈特："), gap < 1e-3)
        rank = 1 + int((lp > lp[int(c["secret"])]).sum())
        print(T("rank by counting:", "数出来的名次："), rank, T("| exposure:", "| 暴露度："),
              f"{5 * math.log2(10) - math.log2(rank):.2f}", T("bits", "比特"))
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(5.2, 3.4))
        ks = [0, 1, 4, 16]
        canary_names = {"en": T("English canary", "英文金丝雀"), "zh": T("Chinese canary", "中文金丝雀")}
        for lang, marker in (("en", "o"), ("zh", "s")):
            ax.plot(range(len(ks)), [exposures[(k, lang)]["exposure"] for k in ks], marker=marker, label=canary_names[lang])
        ax.axhline(5 * math.log2(10), color="k", ls="--", lw=1, label=T("maximum (rank 1)", "最大值（名次为 1）"))
        ax.axhline(math.log2(math.e), color="grey", ls=":", lw=1, label=T("mean without the secret", "未见过秘密时的平均值"))
        ax.set_xticks(range(len(ks)), [str(k) for k in ks])
        ax.set_xlabel(T("times the canary is in the training text", "金丝雀在训练文本中出现的次数"))
        ax.set_ylabel(T("exposure (bits)", "暴露度（比特）"))
        ax.set_title(T("Exposure of the secrets against repetitions", "秘密的暴露度随插入次数的变化"))
        ax.legend(fontsize=8)
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        The control model (0 repetitions) gives the secrets the exposures that chance gives: neither counts as
        memorised. A single copy among the book's several hundred thousand characters can already lift a secret to a
        rank in the low thousands among the 100,000 candidates — memorised at the 5 % level, though far from first
        (the table says which secret, at which count); at 16 copies both secrets are ranked first. Each of these
        small models trained for the same number of steps, and each number of repetitions is a single run, so
        whether a given secret crosses the 5 % line at one or four copies can change from one training run to the
        next: the rise with repetitions is the finding, not the exact value at each point.

        Extraction is harder than exposure, and the table shows why: greedy decoding can only reveal a secret the
        model prefers to *every* continuation, not only to the other digit strings. Where greedy decoding wrote
        something other than digits, the secret stayed hidden from this attack even at the largest exposure.
        An attacker who knows the format ("five digits follow") and can score every candidate with the model, as
        we did, finds a rank-1 secret at the top of the list; one who can only draw continuations from the model
        must first get it to write digits at all. Exposure is the safer measure: it asks how much an attacker who
        knows the format learns.
        """,
        zh=r"""
        对照模型（插入 0 次）给秘密的暴露度与随机结果相当：两个秘密都不算“记住了”。书中有几十万个字符，秘密哪怕只出现一次，
        也可能在 100,000 个候选中被提到前几千名——在 5% 的水平上算是记住了，只是离第一还远（是哪个秘密、插入几次，见上表）；
        出现 16 次时，两个秘密都排在了第一位。这几个小模型训练的步数相同，每种插入次数只训练了一次，所以某个秘密在插入 1 次或 4 次时
        落在 5% 线的哪一边，换一次训练就可能不同：可信的结论是暴露度随插入次数上升，而不是每个点上的确切数值。

        提取比暴露难，表格说明了原因：贪心解码只能吐出模型相比*所有*续写（而不只是其他数字串）都更偏爱的秘密。
        凡是贪心解码写出的不是数字的地方，即使暴露度已达最大，秘密也没有被这种攻击拿到。
        一个知道格式（“后面是五位数字”）、又能像我们这样用模型给每个候选打分的攻击者，会在名单的第一位找到名次为 1 的秘密；
        只能从模型中抽取续写的攻击者，则得先让模型写出数字才行。暴露度是更稳妥的度量：它问的是一个知道格式的攻击者能学到多少。
        """,
    ),
    md(
        en=r"""
        ## 5 · The price of differential privacy

        Section 1 showed attacks failing on the book's models, and warned that a failed attack is no guarantee.
        **Differential privacy** {cite:p}`dwork2006calibrating` is one: a training run is $(\varepsilon, \delta)$-DP
        if adding or removing any one training example changes the probability of any outcome — any set of final
        weights — by at most a factor $e^{\varepsilon}$, up to a slack $\delta$. Every membership attack, however
        clever, is then bounded: its TPR at a given FPR is at most $e^{\varepsilon}\,\mathrm{FPR} + \delta$.

        **DP-SGD** {cite:p}`abadi2016dpsgd` makes training private by changing one thing: each example's gradient
        is clipped to norm at most $C$, and Gaussian noise of standard deviation $\sigma C$ is added to the sum of a
        minibatch's gradients; minibatches are drawn by Poisson sampling (each example joins with probability
        $q$). An **accountant** adds up the privacy loss of all the steps. We use Opacus {cite:p}`yousefpour2021opacus`,
        which implements all three and picks the $\sigma$ that makes the whole run meet a requested $\varepsilon$.

        The runs were trained with $\delta = 1/N$, $N$ the number of training digits. That is weaker than the usual
        guidance, $\delta \ll 1/N$: a mechanism that publishes one randomly chosen training record in full is
        $(0, 1/N)$-DP, so $\delta \ge 1/N$ cannot rule that out. The accountant can restate the same runs at a
        stricter $\delta$; the check below does so at $\delta = 10^{-5}$.

        Three MLP VAEs were trained by one command each on the same 1,000 training digits for the same 60 epochs,
        at $\varepsilon = \infty$ (no clipping and no noise: the baseline, with the same Poisson batches), 8 and 1.
        Fewer digits and more epochs than chapter 5's models make the baseline over-fit a little, so that there is
        something to protect. For each: the budget spent, the noise, the −ELBO on the training and the held-out
        digits, and the loss-threshold attack of section 1 (members: its 1,000 digits; non-members: the held-out
        digits).
        """,
        zh=r"""
        ## 5 · 差分隐私的代价

        第 1 节的攻击在本书的模型上都失败了，但也提醒过：攻击失败不等于有保证。**差分隐私** {cite:p}`zh-dwork2006calibrating` 就是一种保证：
        如果增删任何一个训练样本，任何结果（任何一组最终权重）的概率至多变为原来的 $e^{\varepsilon}$ 倍（外加一个松弛量 $\delta$），
        这次训练就满足 $(\varepsilon, \delta)$-差分隐私。于是，无论多巧妙的成员推断攻击都有了上界：在给定的假阳性率下，
        它的真阳性率至多是 $e^{\varepsilon}\,\mathrm{FPR} + \delta$。

        **DP-SGD** {cite:p}`zh-abadi2016dpsgd` 只改动训练中的一件事：把每个样本的梯度裁剪到范数不超过 $C$，再给一个小批量的梯度之和加上标准差为
        $\sigma C$ 的高斯噪声；小批量用泊松抽样（每个样本以概率 $q$ 加入）。**隐私会计**把所有步骤的隐私损失累加起来。
        我们用 Opacus {cite:p}`zh-yousefpour2021opacus`，它实现了以上三个环节，并会选出让整次训练满足指定 ε 的 $\sigma$。

        这几次训练取 $\delta = 1/N$，$N$ 是训练数字的个数。这比通常的建议 $\delta \ll 1/N$ 要弱：一个随机挑出一条训练记录并原样公布的机制是
        $(0, 1/N)$-差分隐私的，所以 $\delta \ge 1/N$ 排除不了这种情况。隐私会计可以在更严格的 $\delta$ 下重新表述同样的训练；
        下面的验证就在 $\delta = 10^{-5}$ 下这样做了。

        我们各用一条命令训练了三个 MLP VAE，训练数据是同样的 1,000 张数字，都训练 60 轮，隐私预算分别为 $\varepsilon = \infty$
        （不裁剪、不加噪声：基线，泊松抽样的批次相同）、8 和 1。数字比第 5 章的模型少、轮数更多，基线会有一点过拟合，这样才有需要保护的东西。
        对每个模型，我们给出花掉的预算、噪声、训练数字与留出数字上的 −ELBO，以及第 1 节的损失阈值攻击（成员：它的 1,000 张训练数字；
        非成员：留出数字）。
        """,
    ),
    code(
        """
        from opacus.accountants import PRVAccountant, RDPAccountant
        from course_lib.models.vae import evaluate_vae

        from course_lib.evaluator import class_coverage, load_classifier

        dp_runs = {name: load_vae(shipped_checkpoint(name)) for name in ("dp_vae_epsinf", "dp_vae_eps8", "dp_vae_eps1")}
        # en: chapter 5's classifier: the instrument of this section and the next
        # zh: 第 5 章的分类器：本节和下一节都用它来度量
        classifier, _ = load_classifier()
        print(T("made by:", "训练命令："), dp_runs["dp_vae_eps8"][1]["command"])
        # en: the DP runs trained on 1,000 evenly spaced training digits: those are their members
        # zh: 这几次 DP 训练用的是均匀取出的 1,000 张训练数字：它们就是成员
        dp_members = x_train[spread_subset(len(x_train), dp_runs["dp_vae_eps8"][1]["train_examples"])]
        print(f"{pad(T('target ε', '目标 ε'), 9)}{pad(T('spent ε', '实际 ε'), 9)}{'δ':>8}{pad(T('noise σ', '噪声 σ'), 9)}{pad(T('steps', '步数'), 7)}"
              f"{pad(T('train -ELBO', '训练 -ELBO'), 13)}{pad(T('held-out -ELBO', '留出 -ELBO'), 16)}"
              f"{pad(T('digits', '数字数'), 8)}{pad(T('top digit', '最多的数字'), 12)}")
        dp_table, dp_scores = {}, {}
        for name, (m, card) in dp_runs.items():
            dp = card["dp"]
            train_elbo, held_elbo = evaluate_vae(m, dp_members)["neg_elbo"], evaluate_vae(m, x_held)["neg_elbo"]
            s_in, s_out = dp_scores[name] = membership.loss_threshold_attack(m, dp_members, nonmembers)
            dp_table[name] = {"held": held_elbo, "train": train_elbo, **membership.attack_intervals(s_in, s_out, fpr=0.01)}
            # en: which digits 1,000 samples look like to chapter 5's classifier: how many, and the commonest one's share
            # zh: 在第 5 章的分类器看来，1,000 个样本像哪些数字：有几种，最常见的那个占多少
            hist = class_coverage(m.sample(1000, generator=torch.Generator().manual_seed(0)).reshape(-1, 1, 28, 28),
                                  classifier)["histogram"]
            top = max(range(10), key=hist.__getitem__)
            print(f"{dp['target_epsilon']:>9.3g}{dp['epsilon']:>9.3g}{dp['delta']:>8.3g}{dp['noise_multiplier']:>9.3f}{dp['steps']:>7}"
                  f"{train_elbo:>13.1f}{held_elbo:>16.1f}{sum(c > 0 for c in hist):>8}{f'{top}: {hist[top] / 1000:.0%}':>12}")
        print()
        print(f"{pad(T('target ε', '目标 ε'), 9)}{'AUC [95%]':>24}{pad(T('TPR @ 1% FPR [95%]', '1% 假阳性率处的真阳性率 [95%]'), 30)}"
              f"{pad(T('DP bound', 'DP 上界'), 10)}  " + T("vs guessing", "与随机猜测相比"))
        for name, (m, card) in dp_runs.items():
            dp, iv = card["dp"], dp_table[name]
            # en: (ε, δ)-DP bounds every attack: TPR <= e^ε · FPR + δ
            # zh: (ε, δ)-差分隐私给所有攻击设了上界：TPR <= e^ε · FPR + δ
            bound = min(1.0, math.exp(dp["epsilon"]) * 0.01 + dp["delta"]) if math.isfinite(dp["epsilon"]) else 1.0
            beats = iv["auc"].low > 0.5 or iv["tpr_at_fpr"].low > 0.01
            print(f"{dp['target_epsilon']:>9.3g}{iv['auc'].format(3):>24}{iv['tpr_at_fpr'].format(3):>30}{bound:>10.3f}  "
                  + (T("better", "更好") if beats else T("no difference", "看不出差别")))
        """
    ),
    md(
        en=r"""
        **The guarantee, checked.** The ε printed above is what the training run's accountant reported: the PRV
        accountant {cite:p}`gopi2021prv`, which composes the privacy loss of all the steps numerically and tightly.
        It is a function of three numbers in the card alone — the noise multiplier σ, the sampling rate $q$ and the
        number of steps — so a fresh accountant given only those must agree; Rényi-DP accounting
        {cite:p}`mironov2017renyi`, a looser bound, must give an ε at least as large. The last column restates the
        same runs at the stricter $\delta = 10^{-5}$:
        """,
        zh=r"""
        **验证隐私保证。** 上面打印的 ε 是训练时隐私会计报告的，用的是 PRV 会计 {cite:p}`zh-gopi2021prv`：它用数值方法把所有步骤的隐私损失紧致地组合起来。
        ε 只取决于模型卡中的三个数——噪声乘数 σ、采样率 $q$ 和步数——所以一个只拿到这三个数、从头算起的隐私会计必须给出同样的结果；
        更松的 Rényi 差分隐私会计 {cite:p}`zh-mironov2017renyi` 给出的 ε 必须不小于它。最后一列在更严格的 $\delta = 10^{-5}$ 下重新表述同样的训练：
        """,
    ),
    code(
        """
        import warnings

        for name in ("dp_vae_eps8", "dp_vae_eps1"):
            dp = dp_runs[name][1]["dp"]
            prv, rdp = PRVAccountant(), RDPAccountant()
            prv.history = rdp.history = [(dp["noise_multiplier"], dp["sample_rate"], dp["steps"])]
            with warnings.catch_warnings():
                # en: Opacus suggests more Rényi orders for a tighter bound (its PRV accountant uses RDP for its range too)
                # zh: Opacus 建议用更多的 Rényi 阶数求更紧的上界（它的 PRV 会计也用 RDP 确定计算范围）
                warnings.simplefilter("ignore")
                eps_rdp, eps_prv = rdp.get_epsilon(dp["delta"]), prv.get_epsilon(dp["delta"])
                eps_strict = prv.get_epsilon(1e-5)
            print(name, T("| in the card:", "| 模型卡："), f"{dp['epsilon']:.3f}",
                  T("| PRV, recomputed:", "| PRV 重算："), f"{eps_prv:.3f}",
                  T("| RDP bound:", "| RDP 上界："), f"{eps_rdp:.3f}",
                  T("| PRV at δ = 1e-5:", "| δ = 1e-5 时的 PRV："), f"{eps_strict:.2f}")
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.6))
        for ax, (name, (m, card)) in zip(axes, dp_runs.items()):
            x = m.sample(36, generator=torch.Generator().manual_seed(0))
            grid = x.reshape(6, 6, 28, 28).permute(0, 2, 1, 3).reshape(6 * 28, 6 * 28)
            ax.imshow(grid.numpy(), cmap="gray")
            ax.axis("off")
            eps = card["dp"]["target_epsilon"]
            ax.set_title((T("no privacy (ε = ∞)", "无隐私（ε = ∞）") if math.isinf(eps) else f"ε = {eps:g}")
                         + "\\n" + T(f"held-out -ELBO {dp_table[name]['held']:.0f}", f"留出 -ELBO {dp_table[name]['held']:.0f}")
                         + f", AUC {dp_table[name]['auc'].estimate:.2f}", fontsize=9)
        fig.suptitle(T("The MLP VAE trained with DP-SGD: samples at three privacy budgets",
                       "用 DP-SGD 训练的 MLP VAE：三种隐私预算下的样本"))
        fig.tight_layout(rect=(0, 0, 1, 0.92))
        plt.show()
        """
    ),
    md(
        en=r"""
        The price is plain in the table and the figure. The baseline fits its 1,000 digits better than the
        held-out ones, and the loss-threshold attack sees a little of that gap: its AUC interval lies above
        guessing's 0.5. With DP-SGD the gap and the attack's edge are gone (no difference from guessing) — and so is much of the model: the held-out −ELBO is far worse, and the samples
        lose their shapes as ε shrinks. The last two columns of the first table show how far: chapter 5's
        classifier calls almost every sample of a private model the same digit — they are blobs, not digits. With
        only 1,000 digits, the noise added to each step's sum of about 125 clipped gradients is large against their
        signal; because the signal of the sum grows with the batch and the data while the noise does not, DP-SGD's
        price falls as the dataset grows, which is why it is used on large ones. So this price is not DP's alone:
        it is DP-SGD on 1,000 digits with a recipe (an MLP VAE, its learning rate, a clipping norm, 60 epochs) that
        was not tuned for the noise. Read it as the direction of the trade, not its size; the next part measures how
        much of the size was the small data.

        The last column is what the guarantee adds over any measured AUC: at the stated ε and δ, *no* attack —
        not only this one — can identify members at 1 % FPR more often than that bound. At ε = 1 the bound is a
        few per cent. At ε = 8 it is 1, that is, no bound at all at this FPR ($e^{8} \approx 3{,}000$): a budget in
        the range that deployed systems often use promises little against a confident attacker, although the
        attack we tried is defeated in practice. For the baseline no bound exists, however weak the attack we
        happened to try.
        """,
        zh=r"""
        代价在表格和图中一目了然。基线对它的 1,000 张数字拟合得比留出数字好，损失阈值攻击也看到了一点这个差距：它的 AUC 区间整个高于随机猜测的 0.5。
        用了 DP-SGD，差距和攻击的优势都消失了（与随机猜测看不出差别）——模型本身也丢了一大块：留出数据上的 −ELBO 差了很多，随着 ε 变小，样本也失去了形状。
        第一张表的最后两列说明了丢失的程度：第 5 章的分类器把隐私模型的几乎每个样本都判为同一个数字——它们只是一团墨迹，算不上数字。
        只有 1,000 张数字时，加在每步约 125 个裁剪后梯度之和上的噪声，相对于它们的信号很大；而梯度之和的信号随批量和数据增长，噪声却不增长，
        所以数据集越大，DP-SGD 的代价越小——这也是它多用于大数据集的原因。因此这个代价并不全是差分隐私本身的：它是在 1,000 张数字上、
        用一套没有针对噪声调过的配方（MLP 结构的 VAE、它的学习率、裁剪范数、60 轮）做 DP-SGD 的代价。应当把它读作取舍的方向，而不是取舍的大小；
        下一小节测一测，这个大小里有多少来自数据太少。

        最后一列是隐私保证在任何实测 AUC 之外多给出的东西：在给定的 ε 和 δ 下，*任何*攻击——不只是这一种——在 1% 假阳性率处认出成员的比例都不会超过这个上界。
        ε = 1 时，上界只有百分之几。ε = 8 时它等于 1，也就是在这个假阳性率下根本没有上界（$e^{8} \approx 3{,}000$）：
        实际部署的系统常用这一量级的预算，它对一个有把握的攻击者几乎没有承诺，尽管我们试过的攻击在实践中被挡住了。
        对基线则根本没有上界，无论我们碰巧试过的攻击多么弱。
        """,
    ),
    md(
        en=r"""
        ### How much of the price was small data?

        That can be measured. The same MLP VAE with the same recipe (Adam at the same learning rate, clipping norm
        $C = 1$) was trained by one command per budget on **all 60,000 training digits** of full MNIST for 10 epochs,
        at the same three budgets and at $\delta = 10^{-6}$, well below $1/N \approx 1.7 \times 10^{-5}$ this time.
        Each step now sums about 256 clipped gradients instead of 125, and each digit is sampled with a probability
        $q$ thirty times smaller, so the accountant charges less for each step.

        Full MNIST is not on every machine, so two numbers of these models come from their cards: the held-out
        −ELBO on MNIST's 10,000 test digits (written by `python -m course_lib train`) and the loss-threshold attack
        on 1,000 of their training digits against 1,000 test digits (written by `python -m course_lib audit`).
        The samples are drawn and judged here: five seeds of 1,000 samples per model, each seed's share of
        recognisable samples (the classifier gives one digit a probability of at least 0.9) and
        KL(classes ‖ uniform), with intervals over the seeds. Read the two together: a model that draws the same
        blob every time is "recognisable" and covers one digit.
        """,
        zh=r"""
        ### 代价里有多少来自数据太少？

        这可以测出来。我们用同一个 MLP VAE、同一套配方（同样学习率的 Adam，裁剪范数 $C = 1$），每个预算一条命令，
        在完整 MNIST 的**全部 60,000 张训练数字**上训练 10 轮；预算还是那三个，这回 $\delta = 10^{-6}$，远小于 $1/N \approx 1.7 \times 10^{-5}$。
        现在每一步累加约 256 个裁剪后的梯度（原来是 125 个），每张数字被抽中的概率 $q$ 小了三十倍，所以隐私会计为每一步记的账更少。

        完整 MNIST 并不在每台机器上，所以这几个模型有两个数取自它们的模型卡：在 MNIST 的 10,000 张测试数字上的留出 −ELBO
        （由 `python -m course_lib train` 写入），以及用 1,000 张训练数字对 1,000 张测试数字做的损失阈值攻击（由 `python -m course_lib audit` 写入）。
        样本则在这里现抽现判：每个模型取五个种子、每个种子 1,000 个样本，算出每个种子下可辨认样本的占比（分类器给某个数字的概率至少为 0.9）
        和样本类别分布到均匀分布的 KL 散度，并给出跨种子的区间。两者要放在一起读：每次都画出同一团墨迹的模型也算“可辨认”，却只覆盖一个数字。
        """,
    ),
    code(
        """
        from course_lib.evaluator import coverage_over_draws
        from course_lib.stats import verdict

        dp_full = {name: load_vae(shipped_checkpoint(name))
                   for name in ("dp_vae_full_epsinf", "dp_vae_full_eps8", "dp_vae_full_eps1")}
        print(T("made by:", "训练命令："), dp_full["dp_vae_full_eps8"][1]["command"])


        # en: five draws of 1,000 samples per model, kept for the next cells; coverage_over_draws gives intervals of the
        # en: recognisable share and of KL(classes || uniform) over the draws, and the fewest digits any draw shows
        # zh: 每个模型抽五次、每次 1,000 个样本，留给后面的单元格用；coverage_over_draws 给出可辨认占比与
        # zh: 类别分布到均匀分布的 KL 在各次抽取上的区间，以及各次抽取中出现数字最少的种数
        dp_draws = {name: [m.sample(1000, generator=torch.Generator().manual_seed(s)) for s in range(5)]
                    for name, (m, _) in {**dp_runs, **dp_full}.items()}


        print(f"{pad(T('digits', '训练数字'), 8)}{pad('ε', 5)}{pad(T('spent ε', '实际 ε'), 9)}{'δ':>9}{pad(T('noise σ', '噪声 σ'), 9)}"
              f"{pad(T('steps', '步数'), 7)}{pad(T('held-out -ELBO', '留出 -ELBO'), 16)}{pad(T('recognisable [95%]', '可辨认占比 [95%]'), 21)}"
              f"{pad('KL [95%]', 21)}{pad(T('digits', '数字数'), 8)}{pad(T('attack AUC', '攻击 AUC'), 12)}")
        dp_quality = {}
        for small, big in zip(dp_runs, dp_full):
            for name, (m, card) in ((small, dp_runs[small]), (big, dp_full[big])):
                dp = card["dp"]
                rec, kl, present = dp_quality[name] = coverage_over_draws(dp_draws[name], classifier)
                # en: the 1,000-digit models: measured in this chapter; the 60,000-digit ones: read from their cards
                # zh: 1,000 张数字的模型：本章现算；60,000 张数字的模型：从模型卡读出
                held = dp_table[name]["held"] if name in dp_table else card["metrics"]["heldout_neg_elbo_nats_per_image"]
                auc = dp_table[name]["auc"].estimate if name in dp_table else card["audit"]["membership"]["auc"]
                print(f"{card['train_examples']:>8,}{dp['target_epsilon']:>5g}{dp['epsilon']:>9.3g}{dp['delta']:>9.0e}"
                      f"{dp['noise_multiplier']:>9.3f}{dp['steps']:>7}{held:>16.1f}{rec.format(2):>21}{kl.format(2):>21}"
                      f"{present:>8}{auc:>12.3f}")
        """
    ),
    code(
        """
        fig, axes = plt.subplots(2, 3, figsize=(9.6, 7.4), layout="constrained")
        for row, group in zip(axes, (dp_runs, dp_full)):
            for ax, (name, (m, card)) in zip(row, group.items()):
                x = m.sample(36, generator=torch.Generator().manual_seed(0))
                ax.imshow(x.reshape(6, 6, 28, 28).permute(0, 2, 1, 3).reshape(6 * 28, 6 * 28).numpy(), cmap="gray")
                ax.axis("off")
                eps = card["dp"]["target_epsilon"]
                rec, shown = dp_quality[name][0].estimate, dp_quality[name][2]
                ax.set_title(T(f"{card['train_examples']:,} digits, ", f"{card['train_examples']:,} 张数字，")
                             + ("ε = ∞" if math.isinf(eps) else f"ε = {eps:g}")
                             + "\\n" + T(f"recognisable {rec:.2f}, {shown} digit{'s' if shown > 1 else ''}",
                                        f"可辨认 {rec:.2f}，{shown} 种数字"), fontsize=9)
        fig.suptitle(T("The same DP-SGD recipe on 1,000 digits (top) and on 60,000 (bottom)",
                       "同一套 DP-SGD 配方：1,000 张数字（上）与 60,000 张数字（下）"))
        plt.show()
        """
    ),
    md(
        en=r"""
        Sixty times more digits buys back much of the price. At both budgets the held-out −ELBO is far better than
        on 1,000 digits, and at ε = 8 the samples show all ten digits where the 1,000-digit model drew one blob. The
        attack column says something else worth knowing: on 60,000 digits even the baseline gives the
        loss-threshold attack nothing to see, so here the guarantee, not a measured leak, is the reason to pay.

        But the classifier still calls most of the private samples one digit, while the figure shows digits of many
        kinds. Look at their background: DP-SGD leaves a grey speckle around each digit, and this classifier —
        trained on digits on black, the one that calls uniform noise an "8" with confidence 1 — may read the
        speckle instead of the digit. That can be tested: set every pixel below 0.3 to black and ask again.
        """,
        zh=r"""
        数据多了六十倍，代价就赎回了一大块。两个预算下，留出 −ELBO 都比 1,000 张数字时好得多；ε = 8 时，1,000 张数字的模型只画出一团墨迹，
        这里的样本却十个数字都有。攻击那一列还说明了一件值得知道的事：在 60,000 张数字上，连基线都没给损失阈值攻击留下可乘之机，
        所以在这里付出代价，图的是那份保证，而不是为了堵住某个实测到的泄漏。

        可是分类器仍把大部分隐私模型的样本判为同一个数字，而图上明明是各种各样的数字。看看它们的背景：DP-SGD 在每个数字周围留下一层灰色的噪点，
        而这个分类器是在黑底数字上训练的——正是它把均匀噪声以概率 1 判成“8”——它读到的可能是噪点而不是数字。这可以检验：把低于 0.3 的像素都涂黑，再问一次。
        """,
    ),
    code(
        """
        # en: the same five draws per model, with the grey speckle cleared: every pixel below 0.3 set to black
        # zh: 每个模型同样的五次抽取，清掉灰色噪点：低于 0.3 的像素一律涂黑
        def speckle_cleared(x, below=0.3):
            return torch.where(x < below, torch.zeros_like(x), x)


        print(f"{pad(T('digits', '训练数字'), 8)}{pad('ε', 5)}{pad(T('KL as drawn', 'KL（原样）'), 21)}"
              f"{pad(T('KL, speckle cleared', 'KL（清掉噪点）'), 21)}{pad(T('digits', '数字数'), 8)}  " + T("KL after clearing", "清掉噪点后的 KL"))
        for name, (m, card) in {**dp_runs, **dp_full}.items():
            _, kl_cleared, present = coverage_over_draws([speckle_cleared(x) for x in dp_draws[name]], classifier)
            v = verdict(kl_cleared, dp_quality[name][1], names=("cleared", "drawn"), higher_is_better=False)
            said = (T("lower", "更低") if v.winner == "cleared" else T("higher", "更高") if v.decided
                    else T("no difference", "看不出差别"))
            print(f"{card['train_examples']:>8,}{card['dp']['target_epsilon']:>5g}{dp_quality[name][1].format(2):>21}"
                  f"{kl_cleared.format(2):>21}{present:>8}  {said}")
        """
    ),
    md(
        en=r"""
        With the speckle cleared, the samples of the two private 60,000-digit models spread over all ten digits and
        their KL falls several-fold, while those of the private 1,000-digit models stay one or two digits: blobs,
        whatever the background. Clearing does not help the baselines, whose background was black already (it
        even cuts some faint strokes). So on 60,000 digits DP-SGD draws digits of every kind at both budgets,
        blurrier and noisier than the baseline's; on 1,000 it draws none. Most of what the 1,000-digit models paid
        was the small data. What remains on 60,000 digits — a held-out −ELBO still well behind the baseline's, and
        the speckle — is the price of privacy for this recipe, which nobody tuned for the noise.

        A lesson about instruments, too: the recognisable share and the KL are only as good as the images are like
        the classifier's training digits. Read them beside the pictures.
        """,
        zh=r"""
        清掉噪点之后，两个在 60,000 张数字上训练的隐私模型，样本分散到了全部十个数字上，KL 降到原来的几分之一；
        而在 1,000 张数字上训练的隐私模型，样本仍然只有一两种数字：不管背景如何，它们都是墨迹。清掉噪点对两个基线没有帮助，
        它们的背景本来就是黑的（清理甚至会抹掉一些淡淡的笔画）。所以在 60,000 张数字上，两个预算下 DP-SGD 都画出了各种数字，
        只是比基线的更模糊、噪点更多；在 1,000 张数字上，它一个数字也画不出。1,000 张数字的模型付出的代价，大部分来自数据太少。
        在 60,000 张数字上剩下的那部分——留出 −ELBO 仍远不如基线，还有那层噪点——才是这套没有针对噪声调过的配方为隐私付出的代价。

        这也是一堂关于测量工具的课：可辨认占比和 KL 的可信程度，取决于图像与分类器的训练数字有多像。读这两个数，要对照着图看。
        """,
    ),
    md(
        en=r"""
        ### Auditing the guarantee: a lower bound on ε

        The accountant's ε is an **upper** bound, and a proof: it holds for every pair of neighbouring datasets and
        every attack. An **audit** asks the opposite question — how large must ε be, at least, for an attack to have
        done what it did? If a run is $(\varepsilon, \delta)$-DP, every threshold $t$ of every attack obeys
        $\mathrm{TPR}(t) \le e^{\varepsilon}\,\mathrm{FPR}(t) + \delta$, and, for the opposite decision,
        $\mathrm{TNR}(t) \le e^{\varepsilon}\,\mathrm{FNR}(t) + \delta$. So an attack that reaches a TPR and an FPR
        proves

        $$\varepsilon \;\ge\; \log \frac{\mathrm{TPR} - \delta}{\mathrm{FPR}} .$$

        The rates are measured on finitely many digits, so Jagielski, Ullman & Oprea {cite:p}`jagielski2020auditing`
        put one-sided **Clopper–Pearson** bounds in their place: a $\mathrm{TPR}_{\mathrm{lo}}$ that the true TPR
        exceeds, and an $\mathrm{FPR}_{\mathrm{hi}}$ that the true FPR stays under, each with probability 97.5 %, so
        that both hold — and the bound on ε with them — with probability at least 95 %. The threshold must not be
        picked on the counts it is bounded with (the best of 2,000 thresholds would flatter the attack): we pick it on
        a random half of the members and of the non-members (seed 0, fixed in advance) and bound the other halves at
        that one threshold.

        Jagielski et al. train one model per trial. Reading one model's 1,000 members and 996 non-members as trials
        is a shortcut, since they share one training run; Steinke, Nasr & Jagielski {cite:p}`steinke2023onerun`
        show what one run does allow. Let each of $m$ candidate examples — **canaries** — enter the training set by
        its own fair coin; an auditor guesses "in" for the $k$ highest scores and "out" for the $k$ lowest. Under
        $\varepsilon$-DP the number of right guesses among these $r = 2k$ is no more likely to be large than a
        $\mathrm{Binomial}(r, e^{\varepsilon}/(1 + e^{\varepsilon}))$ count, and under $(\varepsilon, \delta)$-DP a
        term that grows with $m\delta$ is added to its tail. We try $k$ = 25, 50, 100 and 200 and share the 5 %
        among the four (Bonferroni). One caveat: our members and non-members were fixed by the book's random split of
        the digits, not by a coin per digit — close to their setting, not exactly it.

        `course_lib.responsible.dp_audit` implements both; every bound below holds with 95 % confidence, and it is
        printed at the accountant's δ. The table applies them to section 5's attack scores:
        """,
        zh=r"""
        ### 审计隐私保证：ε 的下界

        隐私会计给出的 ε 是一个**上界**，而且是证明出来的：它对每一对相邻数据集、每一种攻击都成立。**审计**问的是反方向的问题：
        攻击既然做到了它所做到的，ε 至少得有多大？如果一次训练满足 $(\varepsilon, \delta)$-差分隐私，那么任何攻击的任何阈值 $t$ 都满足
        $\mathrm{TPR}(t) \le e^{\varepsilon}\,\mathrm{FPR}(t) + \delta$；对相反的判断，也有
        $\mathrm{TNR}(t) \le e^{\varepsilon}\,\mathrm{FNR}(t) + \delta$。所以，一个达到了某个真阳性率和假阳性率的攻击就证明了

        $$\varepsilon \;\ge\; \log \frac{\mathrm{TPR} - \delta}{\mathrm{FPR}}$$

        这两个比率是在有限张数字上测出来的，所以 Jagielski、Ullman 与 Oprea {cite:p}`zh-jagielski2020auditing` 用单侧的
        **Clopper–Pearson 界**（下文简称 CP 界）代替它们：真实的 TPR 高于 $\mathrm{TPR}_{\mathrm{lo}}$、真实的 FPR 低于
        $\mathrm{FPR}_{\mathrm{hi}}$，各自成立的概率为 97.5%，于是两者同时成立、ε 的下界也随之成立的概率至少是 95%。
        阈值不能在用来求界的同一批计数上挑选（从 2,000 个阈值里挑最好的，会把攻击说得比实际更强）：我们在成员和非成员各自随机取出的一半上挑阈值
        （种子为 0，事先定好），再只在这一个阈值上，用另一半求界。

        Jagielski 等人每做一次试验就训练一个模型。把同一个模型的 1,000 个成员和 996 个非成员当作多次试验，是一种走捷径的做法，
        因为它们共用同一次训练；Steinke、Nasr 与 Jagielski {cite:p}`zh-steinke2023onerun` 说明了只训练一次究竟能得出什么。
        设 $m$ 个候选样本——**金丝雀**——各自掷一枚均匀硬币决定是否进入训练集；审计者对得分最高的 $k$ 个猜“在”，对最低的 $k$ 个猜“不在”。
        在 $\varepsilon$-差分隐私下，这 $r = 2k$ 次猜测中猜对的次数，取大值的可能性不超过一个 $\mathrm{Binomial}(r, e^{\varepsilon}/(1 + e^{\varepsilon}))$ 计数；
        在 $(\varepsilon, \delta)$-差分隐私下，它的尾部还要加上一项随 $m\delta$ 增长的量。我们试了 $k$ = 25、50、100、200 四种，
        把 5% 平分给这四次尝试（邦费罗尼校正）。需要说明的一点是：我们的成员与非成员是由本书对数字的随机划分定下来的，而不是每张数字各掷一次硬币——
        与他们的设定接近，但并不完全相同。

        `course_lib.responsible.dp_audit` 实现了这两种审计；下面每个下界都在 95% 的置信度下成立，并且都在隐私会计所用的 δ 下给出。
        下表把它们用在第 5 节的攻击得分上：
        """,
    ),
    code(
        """
        from course_lib.responsible import dp_audit

        # en: members and non-members of section 5's attack; the δ the accountant used
        # zh: 第 5 节攻击中的成员与非成员；隐私会计所用的 δ
        audits = {}
        for name, (s_in, s_out) in dp_scores.items():
            delta = dp_runs[name][1]["dp"]["delta"]
            audits[name] = (dp_audit.epsilon_lower_bound(s_in, s_out, delta=delta, level=0.95, selection="split", seed=0),
                            dp_audit.one_run_epsilon_lower_bound(s_in, s_out, delta=delta, k=(25, 50, 100, 200), level=0.95))
        n_in, n_out = len(dp_scores["dp_vae_eps8"][0]), len(dp_scores["dp_vae_eps8"][1])
        delta = dp_runs["dp_vae_eps8"][1]["dp"]["delta"]
        # en: the most a perfect attack could prove with these many digits (every member scored above every non-member)
        # zh: 用这么多张数字，一个完美的攻击（每个成员的得分都高于每个非成员）最多能证明多少
        cap_cp = dp_audit.max_auditable_epsilon(n_in, n_out, delta=delta, level=0.95, selection="split")
        cap_one = {d: dp_audit.one_run_epsilon_lower_bound(np.ones(n_in), np.zeros(n_out), delta=d, k=(25, 50, 100, 200)).epsilon
                   for d in (delta, 1e-5)}


        def fmt_eps(e):
            return "∞" if math.isinf(e) else f"{e:.2f}"


        print(T("Empirical lower bounds on ε at 95% confidence (loss-threshold attack of section 5)",
                "95% 置信度下 ε 的经验下界（第 5 节的损失阈值攻击）"))
        print(f"{pad(T('target ε', '目标 ε'), 9)}{pad(T('accountant ε', '隐私会计 ε'), 14)}{pad(T('audit ε ≥', '审计 ε ≥'), 11)}"
              f"{pad(T('at the threshold', '所选阈值处'), 26)}{pad(T('one run ε ≥', '单次训练 ε ≥'), 14)}"
              f"{pad(T('ε lies in', 'ε 所在范围'), 16)}  " + T("what it means", "含义"))
        for name, (cp, one) in audits.items():
            dp = dp_runs[name][1]["dp"]
            eps = dp["epsilon"]
            # en: which inequality gave the bound, with its two Clopper–Pearson bounds (each at 97.5%)
            # zh: 下界来自哪个不等式，以及它用到的两个 Clopper–Pearson 界（各为 97.5%）
            rates = ("—" if cp.epsilon == 0 else f"TPR ≥ {cp.tpr_low:.3f}, FPR ≤ {cp.fpr_high:.3f}" if cp.direction == "tpr/fpr"
                     else f"TNR ≥ {1 - cp.fpr_high:.3f}, FNR ≤ {1 - cp.tpr_low:.3f}")
            lower = max(cp.epsilon, one.epsilon)
            if math.isfinite(eps) and lower > eps:
                meaning = T("contradicts the accountant: a bug", "与隐私会计矛盾：有错误")
            elif lower == 0:
                meaning = T("no leak proved", "没有证明任何泄露")
            elif math.isinf(eps):
                meaning = T("a leak proved; no guarantee", "证明了泄露；本无保证")
            else:
                meaning = T("a leak proved, within the guarantee", "证明了泄露，仍在保证之内")
            print(f"{dp['target_epsilon']:>9.3g}{fmt_eps(eps):>14}{cp.epsilon:>11.2f}{rates:>26}{one.epsilon:>14.2f}"
                  f"{'[' + f'{lower:.2f}, ' + fmt_eps(eps) + (')' if math.isinf(eps) else ']'):>16}  " + meaning)
        print()
        m_delta = (n_in + n_out) * delta
        print(T(f"Ceiling: a perfect attack on {n_in:,} members and {n_out:,} non-members proves at most ε ≥ {cap_cp:.2f} (Clopper–Pearson, split);",
                f"上限：针对 {n_in:,} 个成员和 {n_out:,} 个非成员，一个完美的攻击至多证明 ε ≥ {cap_cp:.2f}（CP 界，对半拆分）；"))
        print(T(f"         in one run, ε ≥ {cap_one[delta]:.2f} at the card's δ = {delta:g} (m·δ = {m_delta:.1f}), and ε ≥ {cap_one[1e-5]:.2f} at δ = 1e-5.",
                f"      单次训练审计在模型卡的 δ = {delta:g}（m·δ = {m_delta:.1f}）下至多证明 ε ≥ {cap_one[delta]:.2f}，在 δ = 1e-5 下至多证明 ε ≥ {cap_one[1e-5]:.2f}。"))
        for name in ("dp_vae_eps8", "dp_vae_eps1"):
            eps = dp_runs[name][1]["dp"]["epsilon"]
            print(f"ε = {eps:.2f} "
                  + (T("lies above the ceiling: no audit of this kind on this many digits could refute it",
                       "高于上限：在这么多张数字上，这种审计配上什么攻击都推翻不了它") if eps > cap_cp else
                     T("lies below the ceiling: a strong enough attack could test it; ours proves ",
                       "低于上限：足够强的攻击可以检验它；我们的攻击证明的是 ") + f"ε ≥ {audits[name][0].epsilon:.2f}"))
        """
    ),
    code(
        """
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
        names = list(audits)
        for i, name in enumerate(names):
            eps, lower = dp_runs[name][1]["dp"]["epsilon"], max(audits[name][0].epsilon, audits[name][1].epsilon)
            top = 10.0 if math.isinf(eps) else eps
            ax.plot([lower, top], [i, i], color="tab:blue", lw=6, alpha=0.35, solid_capstyle="butt")
            ax.plot([lower], [i], "o", color="tab:red", label=T("audit: ε at least", "审计：ε 至少为") if i == 0 else None)
            if math.isinf(eps):
                ax.annotate("", xy=(10.4, i), xytext=(9.6, i), arrowprops={"arrowstyle": "->", "color": "tab:blue"})
            else:
                ax.plot([eps], [i], "s", color="tab:blue", label=T("accountant: ε at most", "隐私会计：ε 至多为") if i == 1 else None)
        ax.axvline(cap_cp, ls="--", color="gray", label=T("the most a perfect attack proves", "完美攻击至多能证明的"))
        ax.set_yticks(range(len(names)),
                      [T("no privacy (ε = ∞)", "无隐私（ε = ∞）") if math.isinf(dp_runs[n][1]["dp"]["target_epsilon"])
                       else f"ε = {dp_runs[n][1]['dp']['target_epsilon']:g}" for n in names])
        ax.set_xlim(-0.2, 10.5)
        ax.set_ylim(-0.6, len(names) - 0.1)
        ax.set_xlabel("ε")
        ax.set_title(T("Where the true ε lies (95% confidence)", "真实的 ε 落在哪里（95% 置信度）"), fontsize=10)
        ax.legend(fontsize=8, loc="upper right")

        # en: randomized response is exactly ε-DP and as easy to attack as ε allows: its audit shows what n buys
        # zh: 随机响应恰好满足 ε-差分隐私，而且在 ε 允许的范围内最容易被攻击：它的审计说明 n 能买到多少
        ns = [100, 300, 1000, 3000, 10000, 30000, 100000]
        grid = np.unique(np.geomspace(100, 1e6, 60).round().astype(int))
        ax2.plot(grid, [dp_audit.max_auditable_epsilon(int(n), delta=0.0) for n in grid], "k--",
                 label=T("perfect attack (the ceiling)", "完美攻击（上限）"))
        for true_eps, color in ((1.0, "tab:green"), (4.0, "tab:orange"), (8.0, "tab:purple")):
            lbs = [dp_audit.epsilon_lower_bound(*dp_audit.randomized_response_scores(true_eps, n, seed=0), delta=0.0).epsilon
                   for n in ns]
            ax2.plot(ns, lbs, "o-", color=color, label=T(f"randomized response, ε = {true_eps:g}", f"随机响应，ε = {true_eps:g}"))
            ax2.axhline(true_eps, color=color, ls=":", lw=1)
        ax2.axvline(n_in, color="gray", lw=1, label=T("this chapter: 1,000 members", "本章：1,000 个成员"))
        ax2.set_xscale("log")
        ax2.set_xlabel(T("members = non-members audited (n)", "参与审计的成员数 = 非成员数（n）"))
        ax2.set_ylabel(T("lower bound on ε (95%)", "ε 的下界（95%）"))
        ax2.set_title(T("An audit can prove at most about log n", "审计至多能证明约 log n"), fontsize=10)
        ax2.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        Only the baseline's audit proves anything, and what it proves is small: the attack's surest calls are of
        *non-members* (the digits the model fits worst), and they show that the baseline is not $\varepsilon$-DP for
        the printed ε. For the two private models the audits prove nothing: the true ε lies anywhere between 0 and
        the accountant's. How loose is the guarantee in practice? This audit cannot tell, and the reasons are the
        point — it is expected to fall far short:

        * **The accountant bounds the worst case**: every dataset, every neighbour, every output, and an attacker
          who sees every intermediate gradient. The audit measures one attack, on one model trained on natural
          digits — an *average* case. Audits that come close to the accountant's ε craft worst-case canaries (an
          input, or a gradient, unlike any other), look inside the training run, and train many models
          {cite:p}`nasr2021adversary`.
        * **The attack is weak.** A loss threshold on the ELBO was barely better than guessing even on the
          non-private baseline (section 5's AUC); a lower bound can never be larger than what the attack sees.
        * **$n$ caps the bound.** Even a perfect attack — every member scored above every non-member — proves only
          about $\log n$: the right panel shows the ceiling for $n$ members and $n$ non-members, and randomized
          response, a mechanism that is exactly ε-DP and as easy to attack as ε allows, climbing to its ε only when
          $n$ is large enough. At this chapter's $n$, the ε = 8 guarantee is beyond the reach of *any* audit.
        * **δ = 1/N costs the one-run audit everything.** Its δ term grows with $m\delta \approx 2$: a mechanism that
          publishes each candidate in full with probability δ is $(0, \delta)$-DP and gives away two of them on
          average, and the theorem must allow for it — so at the card's δ one run proves nothing even for a perfect
          attack, while at δ = 10⁻⁵ it could (the ceiling line above).

        So an audit that finds nothing is not evidence that a model is *more* private than its ε: it is a statement
        about the attack, the data and $n$. Its real use is the other way round — a lower bound above the
        accountant's ε would prove the implementation or its analysis wrong; the table's last column would say so.
        """,
        zh=r"""
        只有基线的审计证明了一点东西，而且证明的很少：攻击最有把握的判断是针对*非成员*的（模型拟合得最差的那些数字），
        它们说明基线不满足表中所印 ε 下的 $\varepsilon$-差分隐私。对两个隐私模型，审计什么也没证明：真实的 ε 可以落在 0 到隐私会计给出的值之间的任何地方。
        这个保证在实践中有多松？这次审计回答不了，而回答不了的原因正是要点所在——它本来就应当远远够不着：

        * **隐私会计给出的是最坏情况的上界**：对每一个数据集、每一个相邻数据集、每一种输出，以及一个能看到每一步中间梯度的攻击者都成立。
          审计测的则是一种攻击、一个在自然数字上训练的模型——是*平均*情况。能逼近隐私会计 ε 的审计，要精心构造最坏情况的金丝雀
          （与其他样本都不一样的输入或梯度），要看进训练过程内部，还要训练许多个模型 {cite:p}`zh-nasr2021adversary`。
        * **攻击太弱。** 即使在没有隐私保护的基线上，基于证据下界的损失阈值攻击也只比随机猜测好一点点（见第 5 节的 AUC）；
          下界不可能超出攻击所能看到的东西。
        * **$n$ 封住了下界。** 即使是完美的攻击——每个成员的得分都高于每个非成员——也只能证明约 $\log n$：右图画出了 $n$ 个成员和 $n$ 个非成员时的上限，
          以及随机响应——一个恰好满足 ε-差分隐私、而且在 ε 允许的范围内最容易被攻击的机制——只有在 $n$ 足够大时才爬升到它的 ε。
          在本章的 $n$ 下，ε = 8 的保证超出了*任何*审计的能力范围。
        * **δ = 1/N 让单次训练审计一无所获。** 它的 δ 项随 $m\delta \approx 2$ 增长：一个以概率 δ 把每个候选样本原样公布的机制满足
          $(0, \delta)$-差分隐私，平均会泄露其中两个，而定理必须把这种机制也考虑在内——所以在模型卡的 δ 下，单次训练审计即使面对完美的攻击也证明不了任何东西；
          而在 δ = 10⁻⁵ 下就可以（见上面的上限一行）。

        所以，一次什么也没发现的审计，并不能证明模型比它的 ε *更*隐私：它说的是攻击、数据和 $n$ 的情况。审计真正的用处在反方向——
        如果下界超过了隐私会计的 ε，就证明实现或者分析有错；表格的最后一列会把这一点说出来。
        """,
    ),
    md(
        en=r"""
        ## 6 · Coverage bias: skew in, skew out?

        Chapter 1 asked, on a toy generator, whether a group that is rare in the training data comes out rarer
        still. Here we ask it of the chapter-5 models. The same two recipes — the DCGAN and the convolutional VAE,
        same commands, same epochs — were trained once more on a **skewed** copy of the training set in which one
        digit keeps only one example in ten (`--rare-digit 0 --rare-factor 10`; the model card records the class
        counts). We draw 10,000 samples from each of the four models and let chapter 5's classifier say which
        digit each one is.

        **The formula.** With $q_{\text{train}}(d)$ the share of digit $d$ in a model's training set and
        $q_{\text{gen}}(d)$ its share among the model's samples,

        $$\rho = \frac{q_{\text{gen}}(d)}{q_{\text{train}}(d)}, \qquad A = \frac{\rho_{\text{skewed}}}{\rho_{\text{balanced}}} .$$

        $\rho = 1$ means the samples keep the training proportion; $\rho < 1$ that the rare digit is rarer still
        (the skew is **amplified**; $\rho = 0$: it is gone); $\rho > 1$ that it is less rare. The classifier is
        not a perfect judge of generated digits — a blurry sample has to be called *something* — so $\rho$ for
        the model trained on balanced data is not exactly 1 either. $A$ divides that instrument-and-model bias out:
        it compares each recipe with itself. We count twice, over all samples and over the "sure" ones that the
        classifier gives at least 90 % probability.

        Chapters 2 and 3 predict a difference. Maximum likelihood, the VAE's objective, is **mode-covering**:
        $\mathrm{KL}(p_{\text{data}}\,\|\,p_\theta)$ is infinite if the model gives zero density where data
        lives, so it must keep some mass on the 40 rare digits. The GAN's objective does not punish a missing mode
        in this way — chapter 2 watched a GAN drop modes of the ring — so if anything drops the minority, one
        would expect it to be the GAN.
        """,
        zh=r"""
        ## 6 · 覆盖偏差：数据偏斜，生成也偏斜？

        第 1 章在一个玩具生成器上问过：训练数据中稀少的群体，生成出来会不会更稀少？这里我们拿第 5 章的模型来问。
        同样的两个配方——DCGAN 和卷积 VAE，同样的命令，同样的轮数——在训练集的一个**偏斜**副本上又各训练了一次：
        其中一个数字只保留十分之一的样本（`--rare-digit 0 --rare-factor 10`；模型卡记录了各类的个数）。
        我们从四个模型各抽取 10,000 个样本，让第 5 章的分类器判断每个样本是哪个数字。

        **公式。** 记 $q_{\text{train}}(d)$ 为数字 $d$ 在模型训练集中的占比，$q_{\text{gen}}(d)$ 为它在模型样本中的占比，

        $$\rho = \frac{q_{\text{gen}}(d)}{q_{\text{train}}(d)}, \qquad A = \frac{\rho_{\text{skewed}}}{\rho_{\text{balanced}}} .$$

        $\rho = 1$ 表示样本保持了训练集的比例；$\rho < 1$ 表示稀有数字变得更稀有（偏斜被**放大**；$\rho = 0$：它消失了）；
        $\rho > 1$ 表示它不那么稀有了。分类器并不是生成数字的完美裁判——一个模糊的样本总得被判成*某个*数字——
        所以在均衡数据上训练的模型，其 $\rho$ 也不恰好等于 1。$A$ 把这种由测量工具和模型共同造成的偏差除掉了：它让每个配方与自己比较。
        我们数两遍：一遍数全部样本，一遍只数分类器给出至少 90% 概率的“有把握”的样本。

        第 2、3 章预言两者会有差别。VAE 的目标是最大似然，它是**覆盖模式**的：只要模型在有数据的地方密度为零，
        $\mathrm{KL}(p_{\text{data}}\,\|\,p_\theta)$ 就是无穷大，所以它必须在那 40 张稀有数字上留一些概率质量。
        GAN 的目标不会这样惩罚缺失的模式——第 2 章亲眼看到 GAN 丢掉了圆环上的模式——所以如果有哪个模型会丢掉少数类，首先该怀疑的是 GAN。
        """,
    ),
    code(
        """
        from course_lib.evaluator import predict_proba

        vae_skew, vae_skew_card = load_vae(shipped_checkpoint("conv_vae_rare0_offline"))
        dcgan_skew, dcgan_skew_card = load_dcgan(shipped_checkpoint("dcgan_rare0_offline"))
        rare = dcgan_skew_card["skew"]["rare_digit"]
        print(T("made by:", "训练命令："), dcgan_skew_card["command"])
        print(T("    and:", "    和："), vae_skew_card["command"])
        counts_skewed = torch.tensor(dcgan_skew_card["skew"]["class_counts"], dtype=torch.float64)
        print(T("training digits per class, skewed set:", "偏斜训练集每类数字的个数："), counts_skewed.long().tolist())
        share_train = {False: y_train.bincount(minlength=10).double() / len(y_train), True: counts_skewed / counts_skewed.sum()}


        def rare_shares(g, n=10_000, confident=0.9):
            # en: the rare digit's share among all samples, and among those the classifier is at least 90 % sure of;
            # en: and every sample's label, for the corrections below
            # zh: 稀有数字在全部样本中的占比，以及在分类器把握至少 90% 的样本中的占比；另外返回每个样本的标签，供下面的校正使用
            x = g.sample(n, generator=torch.Generator().manual_seed(0))
            conf, pred = predict_proba(classifier, x).max(1)
            sure = conf >= confident
            return float((pred == rare).double().mean()), float((pred[sure] == rare).double().mean()), float(sure.double().mean()), pred.numpy()


        generators = {
            (T("VAE", "VAE"), False): vae, (T("VAE", "VAE"), True): vae_skew,
            (T("DCGAN", "DCGAN"), False): dcgan.sampling_generator, (T("DCGAN", "DCGAN"), True): dcgan_skew.sampling_generator,
        }
        print(f"{pad(T('generator', '生成器'), 8, '<')}{pad(T('data', '数据'), 10)}{pad(T(f'share of {rare}s: training', f'{rare} 的占比：训练集'), 28)}"
              f"{pad(T('samples', '样本'), 9)}{pad(T('sure samples', '有把握的样本'), 14)}{pad(T('sure', '有把握'), 8)}{'ρ':>7}{pad(T('ρ (sure)', 'ρ（有把握）'), 10)}")
        rho, labels_gen = {}, {}
        for (name, skewed), g in generators.items():
            q_all, q_sure, f_sure, labels_gen[(name, skewed)] = rare_shares(g)
            q_train = float(share_train[skewed][rare])
            rho[(name, skewed)] = (q_all / q_train, q_sure / q_train)
            print(f"{pad(name, 8, '<')}{pad((T('skewed', '偏斜') if skewed else T('balanced', '均衡')), 10)}{q_train:>28.4f}{q_all:>9.4f}{q_sure:>14.4f}"
                  f"{f_sure:>8.3f}{q_all / q_train:>7.2f}{q_sure / q_train:>10.2f}")
        for name in (T("VAE", "VAE"), T("DCGAN", "DCGAN")):
            a_all = rho[(name, True)][0] / rho[(name, False)][0]
            a_sure = rho[(name, True)][1] / rho[(name, False)][1]
            print(name, T("amplification A = ρ(skewed) / ρ(balanced):", "放大系数 A = ρ(偏斜) / ρ(均衡)："), f"{a_all:.2f}",
                  T("| on sure samples:", "| 有把握的样本："), f"{a_sure:.2f}")
        """
    ),
    md(
        en=r"""
        **The instrument, corrected.** $A$ cancels a bias of the classifier that *multiplies* the rare digit's
        share. But a classifier's mistakes *add*: if it calls 1 % of the other digits "0", a model that never
        draws a zero still seems to draw 1 % of them, and a tenfold-rarer digit is drowned by such errors. Black-box
        shift estimation {cite:p}`lipton2018bbse` removes additive errors: with $C_{ij} = P(	ext{label } i \mid
        	ext{true digit } j)$, measured on the 1,000 held-out real digits, the labels' shares are
        $\mu = C q$, so the samples' true shares are $\hat q = C^{-1}\hat\mu$ (`coverage.corrected_shares`). It
        assumes that the classifier errs on a generated digit as on a real one — for blurry samples the weak
        point. So we read $
ho$ three ways, each with a 95% bootstrap interval that resamples the 10,000 samples
        and the held-out digits: **raw**, **corrected** by $C$, and, as the bound least kind to the models,
        **additive**: all of the balanced model's excess is blamed on the classifier, as a constant error rate
        $e$ that the skewed model's labels share ($q_	ext{label} = q + e\,(1 - q)$).
        """,
        zh=r"""
        **校正测量工具。** $A$ 消除的是分类器*成倍*放大稀有数字占比的那种偏差。但分类器的错误是*相加*的：如果它把其他数字中的 1%
        判成“0”，那么一个从不生成 0 的模型看起来也生成了 1% 的 0，而一个少了十倍的数字就会被这种错误淹没。黑盒偏移估计
        {cite:p}`zh-lipton2018bbse` 能去掉相加的错误：记 $C_{ij} = P(	ext{标签 } i \mid 	ext{真实数字 } j)$，在 1,000 张留出的真实数字上测得，
        则各标签的占比为 $\mu = C q$，于是样本真实的各类占比为 $\hat q = C^{-1}\hat\mu$（`coverage.corrected_shares`）。
        它假定分类器在生成数字上犯错的方式与在真实数字上一样——对模糊样本而言，这正是薄弱之处。所以我们用三种方式读 $
ho$，
        每种都附 95% 自助法置信区间（对 10,000 个样本和留出数字都重抽样）：**原始**读数；用 $C$ **校正**后的读数；
        以及对模型最不利的界——**相加**读数：把均衡模型多出来的部分全部归咎于分类器，当作一个固定的错误率 $e$，偏斜模型的标签也带着它
        （$q_	ext{label} = q + e\,(1 - q)$）。
        """,
    ),
    code(
        """
        from course_lib.responsible.coverage import confusion_matrix, corrected_shares
        from course_lib.stats import bootstrap_interval_multi

        held_labels = np.stack([y_held.numpy(), predict_proba(classifier, x_held).argmax(1).numpy()], axis=1)
        C = confusion_matrix(held_labels[:, 0], held_labels[:, 1])
        print(T(f"held-out real digits the classifier calls '{rare}' although they are not: at most", f"分类器把不是 {rare} 的留出真实数字判成 {rare} 的比例：至多"),
              f"{np.delete(C[rare], rare).max():.3f}", T("of a class", "（按类别计）"))
        q_skew, q_bal = float(share_train[True][rare]), float(share_train[False][rare])


        def rho_raw(labels, q):
            return float(np.mean(labels == rare)) / q


        def rho_corrected(labels, held, q):
            return float(corrected_shares(labels, confusion_matrix(held[:, 0], held[:, 1]))[rare]) / q


        def rho_additive(labels_skew, labels_bal):
            e = max(float(np.mean(labels_bal == rare)) - q_bal, 0.0) / (1 - q_bal)
            return (float(np.mean(labels_skew == rare)) - e * (1 - q_skew)) / q_skew


        print(f"{pad(T('skewed model', '偏斜模型'), 10, '<')}{pad(T('ρ raw [95%]', 'ρ 原始 [95%]'), 22)}{pad(T('ρ corrected [95%]', 'ρ 校正 [95%]'), 22)}{pad(T('ρ additive [95%]', 'ρ 相加 [95%]'), 22)}  " + T("kept / less rare?", "保持 / 减弱？"))
        for name in (T("VAE", "VAE"), T("DCGAN", "DCGAN")):
            ls, lb = labels_gen[(name, True)], labels_gen[(name, False)]
            readings = [
                bootstrap_interval_multi((ls,), lambda l: rho_raw(l, q_skew), n_resamples=1000, method="percentile"),
                bootstrap_interval_multi((ls, held_labels), lambda l, h: rho_corrected(l, h, q_skew), n_resamples=1000, method="percentile"),
                bootstrap_interval_multi((ls, lb), rho_additive, n_resamples=1000, method="percentile"),
            ]
            calls = [T("less rare", "减弱") if r.low > 1 else T("rarer", "放大") if r.high < 1 else T("kept", "保持") for r in readings]
            print(f"{pad(name, 10, '<')}" + "".join(f"{r.format(2):>22}" for r in readings) + "  " + " / ".join(calls))
        """
    ),
    md(
        en=r"""
        Neither model made the rare digit disappear, and under no reading did either make it rarer than the data
        did. The **VAE** makes it clearly less rare under all three readings — raw, corrected and additive. Its
        direction is what mode covering predicts: to give each of the 40 rare digits some likelihood, the model
        keeps part of its latent space for them, and its blurry samples there and between classes are often read
        as the rare digit. The **DCGAN**'s verdict depends on the instrument. The classifier almost never calls a
        real non-zero "0" (the first line), so correcting by its confusion matrix barely moves $\rho$, and both
        the raw and the corrected reading say "less rare". But if the balanced DCGAN's excess of zeros is blamed on
        the classifier instead — errors on *generated* digits, which the held-out real digits cannot show — the
        additive reading is compatible with 1: skew in, skew out. The data cannot decide between the two; it would
        take the true class of each generated digit. On the samples the classifier is sure of, the DCGAN keeps the
        training proportion ($A$ close to 1 in the first table), which points the same way as the additive reading.

        So on MNIST, with one rare class at one ratio and one run per model, it was "skew in, less skew out" for
        the VAE under every reading, and for the GAN "skew in, skew out" or "less skew out", depending on what one
        assumes about the instrument. Chapter 1's toy showed that amplification *can* happen, and
        nothing here shows that it cannot for other data, ratios or models. What this section gives is a way to
        measure it: count with a stated instrument, and divide out the instrument's bias with the same recipe
        trained on balanced data.
        """,
        zh=r"""
        两个模型都没有让稀有数字消失，按哪种读法，也都没有让它比数据中更稀有。**VAE** 在原始、校正、相加三种读法下都让它明显不那么稀有了。
        这个方向正是覆盖模式所预言的：为了给那 40 张稀有数字都留一点似然，模型在潜空间里为它们保留了一块地方，
        它在那里以及类别之间生成的模糊样本，常常被认作稀有数字。**DCGAN** 的结论则取决于测量工具。分类器几乎从不把真实的非 0 数字判成“0”
        （见第一行），所以用它的混淆矩阵校正几乎不改变 $\rho$，原始读数和校正读数都说“不那么稀有了”。但如果把均衡 DCGAN 多出来的 0
        归咎于分类器——归咎于它在*生成*数字上的错误，而留出的真实数字显示不出这种错误——相加读数就与 1 相容：数据偏斜多少，生成就偏斜多少。
        数据无法在两者之间作出判断；那需要知道每个生成数字的真实类别。在分类器有把握的样本上，DCGAN 保持了训练集的比例
        （第一张表中 $A$ 接近 1），这与相加读数指向同一方向。

        所以在 MNIST 上，对一个稀有类别、一种比例、每个模型各训练一次而言，VAE 在每种读法下生成的偏斜都比数据弱；
        GAN 则是“数据偏斜多少，生成就偏斜多少”或“生成的偏斜比数据弱”，取决于对测量工具作何假设。
        第 1 章的玩具模型表明放大*可能*发生，这里的结果并不能说明在其他数据、比例或模型上它不会发生。本节给出的是测量它的办法：
        用说明清楚的工具去数，再用同一配方在均衡数据上训练的模型，把工具本身的偏差除掉。
        """,
    ),
    md(
        en=r"""
        ## 7 · Audit cards

        A model card records how a model was made; an **audit section** records what the measurements of this
        chapter say about it. `python -m course_lib audit NAME` (or `--all`) fills it by code, with the
        chapter's own protocols — the members rebuilt from the card's record of the training set, the same
        attacks, the same classifier — and writes it into the card, so that the numbers travel with the weights.

        One line of each image model's audit asks chapter 1's memorisation question of the model's own samples
        (**copying**): for each of its 1,000 samples, the distance to the nearest training digit over the distance
        to the nearest held-out digit, with both sets cut to the same size (a nearest neighbour among more
        candidates is nearer just because there are more). The mean of the log-ratio gets a bootstrap interval:
        below 0, the samples sit closer to what the model saw than fresh digits would; 0 inside, no difference at
        this budget. A small negative mean is what any model that fits its data a little better than unseen data
        shows; **copying** shows in the second number, the samples nearer to a training digit than the closest 1 %
        of real held-out digits are to one (about 1 % expected), and the card keeps the closest pairs so that they
        can be looked at. Each shipped generative model's audit, in one line:
        """,
        zh=r"""
        ## 7 · 审计卡

        模型卡记录模型是怎样做出来的；**审计部分**记录本章的测量对它说了什么。`python -m course_lib audit NAME`（或 `--all`）
        用本章自己的评测方案以代码填写它——按模型卡对训练集的记录重建成员、同样的攻击、同样的分类器——并写进模型卡，让这些数字与权重一同流转。

        每个图像模型的审计里有一行，用模型自己的样本回答第 1 章的记忆问题（**复制检查**）：对 1,000 个样本中的每一个，
        求它到最近训练数字的距离与到最近留出数字的距离之比，两个集合先截成同样大小（候选越多，最近邻就越近，仅仅因为候选多）。
        对数比的均值带自助法区间：小于 0，说明样本比新鲜数字更靠近模型见过的数据；区间含 0，则在这个预算下看不出差别。
        任何模型只要对训练数据拟合得比对未见数据稍好，都会给出一个略小于 0 的均值；**复制**要看第二个数：有多少样本离某个训练数字，
        比最接近的 1% 真实留出数字离训练数字还近（预期约 1%）。模型卡还保存了最接近的几对，便于逐一查看。
        每个随书附带的生成模型的审计，各占一行：
        """,
    ),
    code(
        """
        import json
        from course_lib.checkpoint import CHECKPOINT_DIR, read_card
        from course_lib.evaluator import checkpoint_fd
        from course_lib.responsible.audit import describe, headline

        # en: the card stores the headline in English; headline() writes it in the page's language from the numbers
        # zh: 模型卡里存的是英文的一行摘要；headline() 根据其中的数字，用本页的语言重新写出
        for path in sorted(CHECKPOINT_DIR.glob("*.json")):
            audit = json.loads(path.read_text(encoding="utf-8")).get("audit")
            if audit is not None:
                print(f"{path.stem:<24}", headline(audit, T("en", "zh")))
        """
    ),
    md(
        en=r"""
        One section in full — the DCGAN's — and a check that it holds the numbers this chapter computed in
        section 1, not numbers copied by hand:
        """,
        zh=r"""
        完整地看其中一份——DCGAN 的——并核对它记录的正是本章第 1 节算出的数字，而不是手抄的数字：
        """,
    ),
    code(
        """
        audit = read_card(shipped_checkpoint("dcgan_offline"))["audit"]
        # en: one line per measurement, in the page's language (the card itself stores numbers and English)
        # zh: 每项测量一行，用本页的语言写出（模型卡本身存的是数字和英文）
        for text in describe(audit, T("en", "zh")).values():
            print("·", text)
        print("·", T("shares of the digits 0-9:", "数字 0-9 各占：") + " " + " ".join(f"{v:.3f}" for v in audit["class_shares"]["shares"]))
        print(T("each number's protocol, in words, is in the card too:", "每个数字的评测方案（文字说明）也都记在模型卡里："), sorted(audit["protocol"]))
        section1 = membership.attack_summary(*scores[T("DCGAN, LOGAN", "DCGAN，LOGAN")], fpr=0.01)
        a1, t1 = section1["auc"], section1["tpr_at_fpr"]
        a2, t2 = audit["membership"]["auc"], audit["membership"]["tpr_at_1pct_fpr"]
        print(T("section 1 computed:", "第 1 节算出："), T(f"AUC {a1:.3f}, TPR {t1:.3f}", f"AUC {a1:.3f}，真阳性率 {t1:.3f}"),
              T("| the card says:", "| 模型卡写的是："), T(f"AUC {a2:.3f}, TPR {t2:.3f}", f"AUC {a2:.3f}，真阳性率 {t2:.3f}"))
        print(T("its FD is the one chapters 5 and 7 print:", "其中的 FD 就是第 5、7 章打印的那个："),
              checkpoint_fd(shipped_checkpoint("dcgan_offline"))[0].format(1))
        """
    ),
    md(
        en=r"""

        ## Summary

        The numbers of this chapter, tied back to chapter 1's four concerns:

        * **Privacy.** Loss-threshold and LOGAN membership inference on the book's VAE and DCGAN stay close to
          guessing — AUC near 0.5 and TPR at 1 % FPR near 1 % (section 1) — because these models barely overfit
          their 4,000 digits; on a VAE over-fitted to 64 digits the same attack reaches an AUC near 1 and picks out
          some members with no false alarm. Report the low-FPR number, compare members and non-members drawn from
          the same distribution, and remember that a failed attack is not a guarantee. The GPT memorises what it
          sees repeated: a secret inserted once already ranks high enough among 100,000 candidates to count as memorised at the 5 % level, and at 16
          copies it ranks first (section 4). DP-SGD takes the attack's edge away; its bound holds for every attack, but
          at 1 % FPR it says something only at ε = 1 (at ε = 8 it is vacuous), and the price in quality is steep when
          the data are as few as 1,000 digits (section 5). An audit from below proves a leak only for the non-private
          baseline; with 1,000 members not even a perfect attack could test ε = 8.
        * **Accountability and transparency.** The labels that China's measures (in force 2025-09-01) require
          fail in different ways: the metadata label survives only a byte-for-byte copy, the visible label a
          re-encoding but not a crop, the keyed watermark a JPEG export and most screenshots but not a crop
          (section 2.1). The text watermark needs a few dozen characters, costs a fraction of a bit per character,
          gives no false alarm on the book's text when each distinct pair is scored once, and fades when a fifth to
          a third of the characters are replaced (section 2.2).
        * **Detection as a safeguard** is partial on these models: a small detector trained until it stops
          improving tells DCGAN digits from real ones in about three pairs of four, and transfers to the blurrier
          VAE; how it fares on a better generator than the one it saw is not measured (section 3).
        * **Fairness.** Trained on a set in which one digit is ten times rarer, neither the VAE nor the DCGAN made
          it rarer still under any reading of the classifier: the VAE produced the rare digit more often than its
          data held it — mode covering, measured — and the DCGAN kept the proportion or made it less rare,
          depending on whether the classifier's errors on generated digits are assumed additive (section 6). The
          amplification that chapter 1's toy showed did not appear here; one rare class at one ratio is not a
          general law. Every shipped model's card carries its measurements in an audit section (section 7).

        ## Exercises

        1. **A rigged comparison.** Repeat the VAE attack with the *first* 1,000 training digits as members
           (`x_train[:1000]`) against all the held-out digits. What happens to the AUC, and why is this not
           evidence of a privacy leak? (Hint: `y_train[:1000].bincount()`.)
        2. **TPR at 1 % FPR by hand.** From `vae_roc.fpr` and `vae_roc.tpr`, find the two ROC points whose FPRs
           bracket 0.01 and interpolate linearly; compare with `membership.tpr_at_fpr(vae_roc, 0.01)`.
        3. **Detection the other way round.** Train a detector with `detector.fit_detector` on 2,000 training
           digits against 2,000 *VAE* samples (8-bit, `max_epochs=15`, `patience=3`) and test it on the held-out
           digits against fresh VAE samples and against DCGAN samples. Does what it learned transfer to the
           generator it never saw?
        4. **Re-aligning a crop.** The crop of section 2.1 kept the box (0, 0, 84, 84) of a 112 × 112 image. Paste
           the cropped picture back onto a black 112 × 112 canvas at (0, 0), scale it to 28 × 28 and test for the
           watermark again. What fraction of the 100 images is detected now?
        5. **How ε falls with the noise.** Section 5's ε = 8 model took `steps` DP-SGD steps at sampling rate
           `sample_rate` (both in its card's `dp` section). With a fresh `PRVAccountant` for each noise multiplier
           σ = 0.5, 1, 2, 4 and 8, compute ε at the card's δ. Then ask Opacus for the σ that reaches ε = 1 at the
           same rate and steps (`opacus.accountants.utils.get_noise_multiplier`) and compare it with the σ in the
           card of the ε = 1 model.
        6. **The instrument's threshold.** Section 6's `rare_shares(g, confident=...)` counts only samples the
           classifier is sure of. Recompute A = ρ_skewed / ρ_balanced for the VAE with the thresholds 0.5, 0.9
           and 0.99, and say how many samples each threshold keeps. Does the verdict "no amplification" depend on
           the threshold?
        7. **How many digits would an audit need?** With `dp_audit.max_auditable_epsilon`, find the smallest number
           $n$ of members (and as many non-members) for which a *perfect* attack could prove ε ≥ 1, and ε ≥ 8, at the
           card's δ — with the split of section 5 and with `selection="bonferroni"`. Then audit the ε = ∞ model's
           scores (`dp_scores["dp_vae_epsinf"]`) both ways. Which way of choosing the threshold proves more, and why?
        """,
        zh=r"""

        ## 小结

        把本章的数字与第 1 章的四个问题对应起来：

        * **隐私。** 对本书 VAE 和 DCGAN 的损失阈值攻击和 LOGAN 成员推断都接近随机猜测——AUC 接近 0.5，1% 假阳性率处的真阳性率接近 1%（第 1 节）——
          因为这些模型对其 4,000 张数字几乎没有过拟合；而在只用 64 张数字过拟合的 VAE 上，同样的攻击 AUC 接近 1，还能毫无误报地认出一些成员。
          报告低假阳性率处的数字，用来自同一分布的成员与非成员作比较，并记住：攻击失败不等于有保证。
          GPT 会记住反复见到的东西：秘密只插入一次，在 100,000 个候选中的名次就已高到在 5% 水平上算作记住了，插入 16 次则排在第一（第 4 节）。
          DP-SGD 拿走了攻击的优势；它的上界对所有攻击都成立，但在 1% 假阳性率处只有 ε = 1 时才有实际意义（ε = 8 时形同虚设），
          而且数据只有 1,000 张数字时，质量上的代价很高（第 5 节）。从下方做的审计只在没有隐私保护的基线上证明了泄露；
          只有 1,000 个成员时，即使完美的攻击也检验不了 ε = 8。
        * **问责与透明度。** 我国标识办法（2025 年 9 月 1 日起施行）要求的几种标识各有各的失效方式：元数据标识只经得住逐字节复制，
          显式标识经得住重新编码却经不住裁剪，带密钥水印经得住 JPEG 导出和大多数截屏，却经不住裁剪（第 2.1 节）。文本水印需要几十个字符，
          每字符代价不到一比特，重复的字符对只计一次时在本书文本上没有误报，替换五分之一到三分之一的字符后就逐渐失效（第 2.2 节）。
        * **检测作为保障手段**，在这些模型上只能起部分作用：训练到不再进步的小型检测器，大约四对里能判对三对 DCGAN 数字与真实数字，
          也能推广到更模糊的 VAE；它遇到比训练时所见更好的生成器时表现如何，这里没有测（第 3 节）。
        * **公平。** 在一个数字少了十倍的训练集上训练，无论怎样解读分类器，VAE 和 DCGAN 都没有让它变得更稀有：VAE 生成稀有数字的频率高于它在数据中的比例——
          覆盖模式，经过了测量；DCGAN 则保持了原有比例或让它不那么稀有，取决于是否假定分类器在生成数字上的错误是相加的（第 6 节）。第 1 章玩具模型上的放大在这里没有出现；
          但一个稀有类别、一种比例，不是普遍规律。每个随书模型的模型卡，都在审计部分记着这些测量（第 7 节）。

        ## 练习

        1. **不公平的比较。** 用*前* 1,000 张训练数字（`x_train[:1000]`）作为成员，对全部留出数字重做对 VAE 的攻击。AUC 会怎样变化？
           为什么这不能证明隐私泄露？（提示：`y_train[:1000].bincount()`。）
        2. **手算 1% 假阳性率处的真阳性率。** 根据 `vae_roc.fpr` 和 `vae_roc.tpr`，找出假阳性率把 0.01 夹在中间的两个 ROC 点并线性插值；
           与 `membership.tpr_at_fpr(vae_roc, 0.01)` 比较。
        3. **反过来检测。** 用 `detector.fit_detector` 在 2,000 张训练数字对 2,000 个 *VAE* 样本（8 位，`max_epochs=15`，`patience=3`）上
           训练一个检测器，再用留出数字对新的 VAE 样本、以及对 DCGAN 样本来检验它。它学到的东西能推广到它从未见过的生成器上吗？
        4. **重新对齐裁剪后的图像。** 第 2.1 节的裁剪保留了 112 × 112 图像中 (0, 0, 84, 84) 这个区域。把裁下的画面贴回一张 112 × 112 黑色画布的 (0, 0) 处，
           缩到 28 × 28 后再检测水印。现在 100 张图像中有多大比例能被检出？
        5. **ε 如何随噪声下降。** 第 5 节中 ε = 8 的模型以采样率 `sample_rate` 走了 `steps` 步 DP-SGD（两者都在它模型卡的 `dp` 部分）。
           对噪声乘数 σ = 0.5、1、2、4、8，各用一个新的 `PRVAccountant`，在模型卡给出的 δ 下算出 ε。再请 Opacus 求出在同样的采样率和步数下
           达到 ε = 1 所需的 σ（`opacus.accountants.utils.get_noise_multiplier`），并与 ε = 1 模型卡中的 σ 比较。
        6. **测量仪器的阈值。** 第 6 节的 `rare_shares(g, confident=...)` 只统计分类器有把握的样本。分别取阈值 0.5、0.9 和 0.99，
           重新计算 VAE 的 A = ρ_偏斜 / ρ_均衡，并说明每个阈值留下了多少样本。“没有放大”这个结论取决于阈值吗？
        7. **审计需要多少张数字？** 用 `dp_audit.max_auditable_epsilon` 求出：在模型卡的 δ 下，成员（以及同样多的非成员）至少要有多少个，
           一个*完美的*攻击才能证明 ε ≥ 1，以及 ε ≥ 8——分别按第 5 节的对半拆分和 `selection="bonferroni"` 来求。
           再用这两种方式审计 ε = ∞ 模型的得分（`dp_scores["dp_vae_epsinf"]`）。哪种选阈值的方式证明得更多？为什么？
        """,
    ),
    code(
        """
        # en: Self-checks: solve an exercise in a cell of your own, then run check(n) on it (right, close or wrong, with a hint).
        # zh: 自测：在自己的单元格里做完练习 n，再运行 check(n)（它会给出“正确”“接近”或“还不对”的判断，并附上提示）。
        from course_lib.exercises import self_checks

        check = self_checks(6, globals(), lang=T("en", "zh"))
        check()
        """
    ),
    solution(
        1,
        en="",
        zh="",
        code=r"""
        print(y_train[:1000].bincount(minlength=10))
        rigged_in = membership.vae_loss_scores(vae, x_train[:1000], draws=2)
        rigged_out = membership.vae_loss_scores(vae, x_held, draws=2)
        print(membership.attack_summary(rigged_in, rigged_out))
        """,
        en_after=r"""
        The offline training digits are stored in class order, so the first 1,000 are almost all 0s, 1s and 2s,
        while the held-out set has every digit. Digits of different classes have different typical losses (a
        thin 1 costs far fewer nats than an 8), so the AUC moves away from 0.5 although nothing about membership
        changed: the attack recognises the class, not the training set. Members and non-members must come from
        the same distribution.
        """,
        zh_after=r"""
        离线训练数字按类别顺序存放，所以前 1,000 张几乎全是 0、1 和 2，而留出集中每个数字都有。不同类别的数字典型损失不同（细细的 1
        比 8 少花许多奈特），所以尽管与成员身份有关的一切都没有变，AUC 却偏离了 0.5：攻击认出的是类别，而不是训练集。成员与非成员必须来自同一个分布。
        """,
    ),
    solution(
        2,
        en="",
        zh="",
        code=r"""
        f, t = vae_roc.fpr, vae_roc.tpr
        # en: the last point with FPR <= 1 %
        # zh: 假阳性率不超过 1% 的最后一个点
        i = int((f <= 0.01).nonzero().max())
        if f[i] == 0.01:
            by_hand = float(t[i])
        else:
            by_hand = float(t[i] + (0.01 - f[i]) * (t[i + 1] - t[i]) / (f[i + 1] - f[i]))
        print(by_hand, membership.tpr_at_fpr(vae_roc, 0.01))
        """,
        en_after=r"""
        The two numbers agree: the ROC's FPR never decreases, so the last point at or below 1 % and the next one
        bracket it.
        """,
        zh_after=r"""
        两个数相同：ROC 的假阳性率从不减小，所以不超过 1% 的最后一个点与它的下一个点正好把 1% 夹在中间。
        """,
    ),
    solution(
        3,
        en="",
        zh="",
        code=r"""
        vae_fake = as_8bit(vae.sample(2000, generator=torch.Generator().manual_seed(27)))
        vae_fit = detector.fit_detector(x_train[:2000], vae_fake, max_epochs=15, patience=3, seed=0)
        print(T("best validation accuracy:", "最好的验证准确率："), round(max(vae_fit.val_accuracy), 3))
        fresh_vae = as_8bit(vae.sample(1000, generator=torch.Generator().manual_seed(28)))
        for name, fakes in (("VAE", fresh_vae), ("DCGAN", fresh_gan)):
            print(name, {k: round(v, 3) for k, v in detector.detector_accuracy(vae_fit.model, x_held, fakes).items()})
        """,
        en_after=r"""
        Blurry VAE samples are far easier to tell from real digits than the DCGAN's (compare the validation
        accuracy with the shipped detector's). Whether the blur detector also catches the DCGAN — whose digits are
        not blurry — is the question of generalisation the section asks; answer it from the last line, and
        bootstrap it as the section does before calling a difference.
        """,
        zh_after=r"""
        模糊的 VAE 样本比 DCGAN 的样本容易与真实数字区分得多（把验证准确率与随软件包发布的检测器比较一下）。
        这个“模糊检测器”能否也抓住 DCGAN——它的数字并不模糊——正是本节所问的推广问题；请根据最后一行回答，
        并在断言有差别之前，像本节那样用自助法算出区间。
        """,
    ),
    solution(
        4,
        en="",
        zh="",
        code=r"""
        from PIL import Image

        found = 0
        for i in range(len(published)):
            picture = labels.add_explicit_label(labels.to_image(published[i], scale=4))
            original = labels.save_png(picture, folder / "p.png", None)
            labels.crop(original, folder / "c.png", (0, 0, 84, 84))
            canvas = Image.new("L", (112, 112), 0)
            with Image.open(folder / "c.png") as cropped:
                canvas.paste(cropped, (0, 0))
            canvas.save(folder / "aligned.png")
            found += float(watermark_score(labels.to_digits(folder / "aligned.png"), KEY)) > THRESHOLD
        print(found / len(published))
        """,
        en_after=r"""
        With the pixels back on the grid of the pattern, the remaining 21 × 21 digit pixels carry most of the
        watermark and many images are detected again; the black border scores 0. A real verifier does not know
        the crop, and must search over offsets and scales — and every candidate it tries is another chance of a
        false positive.
        """,
        zh_after=r"""
        像素回到水印图案的网格上之后，剩下的 21 × 21 个数字像素承载了大部分水印，许多图像又能被检出；黑色边框的得分为 0。
        真正的核验方并不知道图像是怎样裁剪的，只能在各种偏移和缩放中搜索——而每多试一种，就多一次误报的机会。
        """,
    ),
    solution(
        5,
        en="",
        zh="",
        code=r"""
        import warnings

        from opacus.accountants.utils import get_noise_multiplier

        dp8, dp1 = dp_runs["dp_vae_eps8"][1]["dp"], dp_runs["dp_vae_eps1"][1]["dp"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for sigma in (0.5, 1.0, 2.0, 4.0, 8.0):
                acc = PRVAccountant()
                acc.history = [(sigma, dp8["sample_rate"], dp8["steps"])]
                print(f"σ = {sigma:<4} ε = {acc.get_epsilon(dp8['delta']):.3f}")
            needed = get_noise_multiplier(target_epsilon=1.0, target_delta=dp8["delta"], sample_rate=dp8["sample_rate"],
                                          steps=dp8["steps"], accountant="prv")
        print(T("σ for ε = 1:", "ε = 1 所需的 σ："), f"{needed:.3f}", T("| in the ε = 1 card:", "| ε = 1 的模型卡："),
              f"{dp1['noise_multiplier']:.3f}", T("| same rate and steps:", "| 采样率和步数相同："),
              (dp1["sample_rate"], dp1["steps"]) == (dp8["sample_rate"], dp8["steps"]))
        """,
        en_after=r"""
        ε falls steeply as σ grows: each step then reveals less about any one digit, and the accountant composes
        the steps. The σ that Opacus finds for ε = 1 is the one the ε = 1 model was trained with (up to the
        tolerance of its search), because `make_private_with_epsilon` runs this very search before training.
        """,
        zh_after=r"""
        σ 增大时 ε 下降得很快：每一步透露的关于任何一张数字的信息都更少，会计再把各步组合起来。Opacus 求出的 ε = 1 所需的 σ，
        就是 ε = 1 模型训练时用的那个（在其搜索精度之内），因为 `make_private_with_epsilon` 在训练前做的正是这一搜索。
        """,
    ),
    solution(
        6,
        en="",
        zh="",
        code=r"""
        vae_name = T("VAE", "VAE")
        for threshold in (0.5, 0.9, 0.99):
            _, skew_sure, kept_skew, _ = rare_shares(generators[(vae_name, True)], confident=threshold)
            _, bal_sure, kept_bal, _ = rare_shares(generators[(vae_name, False)], confident=threshold)
            rho_skew, rho_bal = skew_sure / float(share_train[True][rare]), bal_sure / float(share_train[False][rare])
            print(T("threshold", "阈值"), threshold, T("| samples kept (skewed, balanced):", "| 留下的样本（偏斜、均衡）："),
                  f"{kept_skew:.3f}, {kept_bal:.3f}", "| A =", f"{rho_skew / rho_bal:.2f}")
        """,
        en_after=r"""
        The stricter the threshold, the fewer VAE samples count, and A moves with it: the ratio is a property of
        the model *and* of the instrument. Read the verdict on amplification only together with the threshold
        and the share of samples it keeps, as section 6's table does.
        """,
        zh_after=r"""
        阈值越严，被计入的 VAE 样本越少，A 也随之变化：这个比值既是模型的性质，也是测量仪器的性质。
        关于“放大”的结论，只能连同阈值以及它留下的样本比例一起来读，正如第 6 节的表格所做的那样。
        """,
    ),
    solution(
        7,
        en="",
        zh="",
        code=r"""
        delta = dp_runs["dp_vae_eps8"][1]["dp"]["delta"]
        for selection in ("split", "bonferroni"):
            for target in (1.0, 8.0):
                # en: double n until a perfect attack reaches the target, then bisect (the ceiling rises with n)
                # zh: 把 n 加倍，直到完美攻击能达到目标，再二分查找（上限随 n 增大）
                hi = 2
                while dp_audit.max_auditable_epsilon(hi, delta=delta, selection=selection) < target:
                    hi *= 2
                lo = hi // 2
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if dp_audit.max_auditable_epsilon(mid, delta=delta, selection=selection) >= target:
                        hi = mid
                    else:
                        lo = mid
                print(selection, f"ε ≥ {target:g}:", f"n = {hi:,}")
        s_in, s_out = dp_scores["dp_vae_epsinf"]
        for selection in ("split", "bonferroni"):
            b = dp_audit.epsilon_lower_bound(s_in, s_out, delta=delta, selection=selection)
            print(selection, f"ε ≥ {b.epsilon:.2f}", T("| thresholds tried:", "| 试过的阈值数："), b.tried,
                  T("| digits bounded:", "| 用来求界的数字："), b.members + b.nonmembers)
        """,
        en_after=r"""
        The ceiling grows like $\log n$, so each unit of ε costs about $e$ times more digits: a perfect attack proves
        ε ≥ 1 with a few dozen digits, but ε ≥ 8 only with tens of thousands — more than the 5,000 digits this book
        has offline. Bonferroni bounds all the digits, but pays for trying every threshold with a far stricter
        confidence per threshold; the split bounds only half of them at one threshold. For a perfect attack the
        split needs fewer digits, and on the ε = ∞ model's scores it proves more too: a weak attack's edge sits in a
        few extreme scores, where a confidence bound at 0.05 / 2,000 instead of 0.05 is much wider.
        """,
        zh_after=r"""
        上限大致按 $\log n$ 增长，所以 ε 每多一个单位，需要的数字就多大约 $e$ 倍：完美的攻击用几十张数字就能证明 ε ≥ 1，
        但要证明 ε ≥ 8 就需要好几万张——比本书离线可用的 5,000 张数字还多。邦费罗尼校正用上了所有数字，但为了试遍每个阈值，
        每个阈值上的置信度都要严格得多；对半拆分只用一半数字，而且只在一个阈值上求界。对完美的攻击，对半拆分需要的数字更少；
        在 ε = ∞ 模型的得分上它证明的也更多：弱攻击的优势只体现在少数几个极端得分上，在那里，0.05 / 2,000 的置信界比 0.05 的宽得多。
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
