"""Chapter 6: the responsible-generation lab — the book audits its own models."""
from twins import code, md

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

        The tools are in `course_lib.responsible`. Three more studies belong to this lab — memorisation of
        inserted secrets by the GPT, the price of differentially private training, and whether a skewed training
        set gives a skewed generator — but they need models trained for them, and this version of the chapter
        has none yet.
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
        * 在 GPT 的采样器里加入带密钥的**绿名单水印**，测量它需要多长的文本、多常冤枉并非它写的文本、以每字符比特数计要付出多少代价，
          以及改动多少个字符就能把它抹掉；
        * 训练一个识别生成数字的小型**检测器**，并在一个它从未见过的生成器上检验它。

        所用工具都在 `course_lib.responsible` 中。这个实验室还应包括另外三项研究——GPT 对插入的秘密的记忆、差分隐私训练的代价，
        以及偏斜的训练集是否带来偏斜的生成器——但它们需要专门为之训练的模型，本章的这一版还没有这些模型。
        """,
    ),
    code(
        """
        import io
        import math
        import tempfile
        from pathlib import Path

        import ipywidgets as widgets
        import matplotlib.pyplot as plt
        import numpy as np
        import torch

        import course_lib
        from course_lib import load_offline_mnist
        from course_lib.models.dcgan import load_dcgan
        from course_lib.checkpoint import shipped_checkpoint
        from course_lib.models.gpt import load_gpt
        from course_lib.responsible import detector, labels, membership
        from course_lib.responsible import text_watermark as tw
        from course_lib.text import load_corpus
        from course_lib.training import spread_subset
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
        """
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
        等于随机取一个成员、其分数高于随机取一个非成员的概率（分数相同时计 ½）；0.5 即等于瞎猜。

        **为什么要看低假阳性率的那一端。** Carlini 等人 {cite:p}`zh-carlini2022lira` 指出，AUC 不适合用来概括隐私攻击。
        它对所有阈值求平均，而其中大多数阈值会冤枉许多非成员；攻击者若想*证明*某一个人的记录被用于训练，需要的是一个几乎不冤枉任何非成员的阈值。
        一个能以 0.1% 的误报认出 5% 成员的攻击，即使 AUC 只有 0.51，也是实实在在的泄露。因此我们报告**假阳性率为 1% 时的真阳性率**：
        在 ROC 上找出假阳性率把 1% 夹在中间的两个点，在两点之间线性插值（这正是在这两个阈值之间随机取阈值所能达到的值）。
        瞎猜时真阳性率等于假阳性率，即 1%。非成员约有 1,000 个，1% 的假阳性率只对应得分最高的 10 个，所以这个数字有不小的抽样误差。

        两种攻击：

        * 对 VAE 的**损失阈值攻击** {cite:p}`zh-yeom2018privacy`：分数是这张图像的 ELBO（即损失取负），对 $z$ 抽两次取平均。
          如果模型对训练图像拟合得比没见过的图像更好，它给训练图像的 ELBO 就更高；Yeom 等人证明，这种攻击的优势恰恰取决于训练损失与测试损失之间的差距。
        * 对 DCGAN 的 **LOGAN** 攻击 {cite:p}`zh-hayes2019logan`：分数是判别器输出的 logit。判别器被训练成把训练数字判为“真”，
          对这些数字它可能比对没见过的数字更有把握。我们的判别器一次评判两张图像（PacGAN {cite:p}`zh-lin2018pacgan`）：
          每个受攻击的数字分别与 4 个留出的“锚点”数字配对（这 4 个数字随后不再作为非成员），分数取各对 logit 的平均。

        成员是从 4,000 张训练数字中均匀取出的 1,000 张（各类都有，比例与训练集相同）；非成员是留出数字。两组必须来自同一个分布：
        否则攻击可以靠认出*是哪一类*数字取胜，而不是认出*是否训练过*（见练习 1）。
        """,
    ),
    code(
        """
        members = x_train[spread_subset(len(x_train), 1000)]
        anchor_idx = spread_subset(len(x_held), 4)
        is_anchor = torch.zeros(len(x_held), dtype=torch.bool)
        is_anchor[anchor_idx] = True
        anchors, nonmembers = x_held[is_anchor], x_held[~is_anchor]

        # en: the over-fitted VAE saw only its 64 evenly spaced training digits: those are its members
        # zh: 过拟合的 VAE 只见过均匀取出的 64 张训练数字：它们就是它的成员
        overfit_members = x_train[spread_subset(len(x_train), overfit_card["train_examples"])]
        scores = {
            T("VAE, loss threshold", "VAE，损失阈值"): (membership.vae_loss_scores(vae, members, draws=2),
                                                     membership.vae_loss_scores(vae, nonmembers, draws=2)),
            T("DCGAN, LOGAN", "DCGAN，LOGAN"): (membership.discriminator_scores(dcgan.discriminator, members, anchors),
                                               membership.discriminator_scores(dcgan.discriminator, nonmembers, anchors)),
            T("over-fitted VAE", "过拟合的 VAE"): (membership.vae_loss_scores(overfit, overfit_members, draws=2),
                                                  membership.vae_loss_scores(overfit, nonmembers, draws=2)),
        }
        print(f"{T('attack', '攻击'):<22}{T('members', '成员'):>8}{T('non-members', '非成员'):>13}{'AUC':>8}{T('TPR @ 1% FPR', '1% 假阳性率处的真阳性率'):>16}")
        for name, (s_in, s_out) in scores.items():
            r = membership.attack_summary(s_in, s_out, fpr=0.01)
            print(f"{name:<22}{r['members']:>8}{r['nonmembers']:>13}{r['auc']:>8.3f}{r['tpr_at_fpr']:>16.3f}")
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
        在本书的两个模型上，两种攻击都接近瞎猜：AUC 都接近 0.5，1% 假阳性率处的真阳性率都接近 1%。VAE 的成员与非成员的平均损失几乎相同
        （上面的单元格打印了两者），按照 Yeom 等人的分析，泛化差距很小时，损失阈值攻击就几乎无从下手。DCGAN 的判别器训练了 150 轮，
        同样分不开这两组数字。

        **泄露是什么样子。** 第三行是一个故意训练坏了的 MLP VAE：只用 64 张数字训练 1,500 轮，由本章开头打印的那一条命令训练而成。
        它的训练损失远低于留出数据上的损失，同样的损失阈值攻击现在几乎能把成员与非成员完全分开：在 1% 的假阳性率下就能认出约四分之一的成员，
        还有几个成员的得分高于*所有*非成员——它们被认了出来，而且没有一次误报。

        这些结论针对的是*这些*攻击对*这些*模型的结果——本书的模型网络小、轮数少——而不是隐私的证明：
        还有更强的攻击（Carlini 等人的似然比攻击要训练许多影子模型），只有差分隐私这样的保证才能给*所有*攻击设上界。

        双对数坐标下的 ROC 曲线展示了低假阳性率的那一端——按照上面的论证，隐私风险正在这里；虚线对角线代表瞎猜。
        """,
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(5.2, 4.2))
        for name, (s_in, s_out) in scores.items():
            roc = membership.roc_curve(s_in, s_out)
            ax.plot(roc.fpr[1:].numpy(), roc.tpr[1:].numpy(), label=f"{name} (AUC {membership.auc(roc):.3f})")
        grid = np.logspace(-3, 0, 50)
        ax.plot(grid, grid, "k--", lw=1, label=T("guessing", "瞎猜"))
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


        def threshold_png(fpr_target):
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
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            plt.close(fig)
            return buf.getvalue()


        fpr_slider = widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=0, step=0.1,
                                            description=T("target FPR", "目标假阳性率"), continuous_update=False)
        threshold_picture = widgets.Image(value=threshold_png(0.01), format="png")
        fpr_slider.observe(lambda change: setattr(threshold_picture, "value", threshold_png(change["new"])), names="value")
        widgets.VBox([fpr_slider, threshold_picture])
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
        要求生成服务为其生成的内容加上两种标识：一种是人能看见的**显式标识**（对图像而言，是图上写明“由人工智能生成”的文字），
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
        print(f"{T('step', '环节'):<12}{T('metadata label kept', '元数据标识保留'):>22}{T('visible label in frame', '显式标识在画面内'):>24}{T('watermark detected', '水印检出'):>20}")
        for name, rows in steps.items():
            kept, frame, found = (np.mean([r[j] for r in rows]) for j in range(3))
            print(f"{name:<12}{kept:>22.2f}{frame:>24.2f}{found:>20.2f}")
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

        对不知道密钥的情况下写成的文本，它近似服从标准正态分布（无论文本是什么，每个词元是绿色的概率都是 $\gamma$）。
        这个检验是**单侧**的：只有绿色过多才算证据。我们在 $z>4$ 时判定含水印，其名义假阳性率为 $P(Z>4)\approx 3\times10^{-5}$。

        我们使用第 4 章中用本书训练的 GPT（它的词元是字符），取 $\gamma=0.5$、$\delta=2$、温度为 1，从本书正文中取 32 个四字符的提示，
        每个续写 120 个字符，有水印、无水印各一次（随机抽样的结果相同）。
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
        print(f"{T('characters', '字符数'):>10}{T('scoring', '计分方式'):>16}{T('watermarked flagged', '有水印检出'):>22}{T('unwatermarked flagged', '无水印误报'):>24}")
        rates = {}
        for ignore in (False, True):
            rates[ignore] = ([np.mean([tw.detect(r[4:4 + L], green, GAMMA, ignore_repeated=ignore)[0] for r in marked_text]) for L in lengths],
                             [np.mean([tw.detect(r[4:4 + L], green, GAMMA, ignore_repeated=ignore)[0] for r in plain_text]) for L in lengths])
            for L, a, b in zip(lengths, *rates[ignore]):
                print(f"{L:>10}{(T('distinct pairs', '不同字符对') if ignore else T('all pairs', '全部字符对')):>16}{a:>22.3f}{b:>24.3f}")
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
        print(f"{T('edited share', '改动比例'):>12}{T('mean z', 'z 均值'):>10}{T('still flagged', '仍被检出'):>16}")
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

        If labels can be lost, can we recognise generated content by looking at it? We train a small CNN
        detector (`detector.RealFakeCNN`, two convolutions) for a few seconds on 2,000 training digits against
        2,000 DCGAN samples, all stored as 8-bit grey levels as a published image would be (real digits are 8-bit;
        unrounded generator outputs would give themselves away by never being exactly 0). Then we test it on the
        held-out digits, on fresh DCGAN samples, and on samples of the VAE, which it never saw.
        """,
        zh=r"""
        水印会损失一点似然（上面打印的代价，就是模型自身每字符比特数之差），而且它的脆弱一眼可见：替换五分之一的字符，
        大多数续写的 z 分数就会落到阈值以下，替换三分之一则几乎全部落到阈值以下，因为每替换一个字符，就破坏两次绿名单判断——它自己的和它下一个字符的。这种水印能证明的是：
        某段文本出自持有密钥者的采样器，且没有被大幅改写；它无法证明一段文本*不是*机器写的。

        ## 3 · 分辨生成与真实

        既然标识可能丢失，能不能只看内容本身就认出它是生成的？我们训练一个小型 CNN 检测器（`detector.RealFakeCNN`，两层卷积），
        只训练几秒钟：2,000 张训练数字对 2,000 张 DCGAN 样本，全部像发布的图像那样存为 8 位灰度（真实数字本来就是 8 位的；
        未经取整的生成器输出永远不会恰好为 0，会不打自招）。然后在留出数字、新的 DCGAN 样本，以及它从未见过的 VAE 样本上检验它。
        """,
    ),
    code(
        """
        def as_8bit(x):
            return (x * 255).round() / 255


        real_train = x_train[spread_subset(len(x_train), 2000)]
        fake_train = as_8bit(dcgan.sampling_generator.sample(2000, generator=torch.Generator().manual_seed(7)))
        judge = detector.train_detector(real_train, fake_train, epochs=5, lr=3e-3, seed=0)
        fresh_gan = as_8bit(dcgan.sampling_generator.sample(1000, generator=torch.Generator().manual_seed(8)))
        vae_samples = as_8bit(vae.sample(1000, generator=torch.Generator().manual_seed(9)))
        print(f"{T('generated set', '生成样本'):<26}{T('real judged real', '真实判为真实'):>18}{T('generated caught', '生成被识破'):>18}{T('balanced accuracy', '平衡准确率'):>20}")
        for name, fakes in ((T("DCGAN (fresh samples)", "DCGAN（新样本）"), fresh_gan), (T("VAE (never seen)", "VAE（从未见过）"), vae_samples)):
            r = detector.detector_accuracy(judge, x_held, fakes)
            print(f"{name:<26}{r['real_correct']:>18.3f}{r['fake_caught']:>18.3f}{r['accuracy']:>20.3f}")
        """
    ),
    md(
        en=r"""
        A detector this small, trained this briefly, barely beats a coin on the generator it was trained against,
        and on the VAE it does worse than a coin — although chapter 5's Fréchet distances say that neither generator's digits
        are as good as real ones. Detection is an arms race that the detector starts behind: it has to find
        whatever statistic the generator gets wrong, and a better or merely *different* generator gets different
        things wrong. A larger detector trained longer does better on the generator it knows (exercise 3 asks
        how much); the lesson of the VAE column — that a detector is tuned to the generators it has seen — is the
        reason the labelling measures require providers to *label* what they generate rather than leave it to
        others to detect.

        ## Summary

        The numbers of this chapter, tied back to chapter 1's four concerns:

        * **Privacy.** Loss-threshold and LOGAN membership inference on the book's VAE and DCGAN stay close to
          guessing — AUC near 0.5 and TPR at 1 % FPR near 1 % (section 1) — because these models barely overfit
          their 4,000 digits; on a VAE over-fitted to 64 digits the same attack reaches an AUC near 1 and picks out
          some members with no false alarm. Report the low-FPR number, compare members and non-members drawn from
          the same distribution, and remember that a failed attack is not a guarantee.
        * **Accountability and transparency.** The labels that China's measures (in force 2025-09-01) require
          fail in different ways: the metadata label survives only a byte-for-byte copy, the visible label a
          re-encoding but not a crop, the keyed watermark a JPEG export and most screenshots but not a crop
          (section 2.1). The text watermark needs a few dozen characters, costs a fraction of a bit per character,
          gives no false alarm on the book's text when each distinct pair is scored once, and fades when a fifth to
          a third of the characters are replaced (section 2.2).
        * **Detection as a safeguard** is weak on these models: a small detector barely tells DCGAN digits from
          real ones and does not generalise to the VAE (section 3).
        * **Fairness** — whether a skewed training set gives a skewed generator — is measured in chapter 1 on a
          toy generator; measuring it on the chapter-5 models needs models trained on a skewed set, which this
          version of the chapter does not have.

        ## Exercises

        1. **A rigged comparison.** Repeat the VAE attack with the *first* 1,000 training digits as members
           (`x_train[:1000]`) against all the held-out digits. What happens to the AUC, and why is this not
           evidence of a privacy leak? (Hint: `y_train[:1000].bincount()`.)
        2. **TPR at 1 % FPR by hand.** From `vae_roc.fpr` and `vae_roc.tpr`, find the two ROC points whose FPRs
           bracket 0.01 and interpolate linearly; compare with `membership.tpr_at_fpr(vae_roc, 0.01)`.
        3. **A better detector.** Train `detector.train_detector` with `channels=32` for 20 epochs on all 4,000
           training digits against 4,000 DCGAN samples. How much does the accuracy on fresh DCGAN samples and on
           VAE samples change, and how long does it take?
        4. **Re-aligning a crop.** The crop of section 2.1 kept the box (0, 0, 84, 84) of a 112 × 112 image. Paste
           the cropped picture back onto a black 112 × 112 canvas at (0, 0), scale it to 28 × 28 and test for the
           watermark again. What fraction of the 100 images is detected now?

        :::{admonition} Solution 1
        :class: dropdown

        ```python
        print(y_train[:1000].bincount(minlength=10))
        rigged_in = membership.vae_loss_scores(vae, x_train[:1000], draws=2)
        rigged_out = membership.vae_loss_scores(vae, x_held, draws=2)
        print(membership.attack_summary(rigged_in, rigged_out))
        ```
        The offline training digits are stored in class order, so the first 1,000 are almost all 0s, 1s and 2s,
        while the held-out set has every digit. Digits of different classes have different typical losses (a
        thin 1 costs far fewer nats than an 8), so the AUC moves away from 0.5 although nothing about membership
        changed: the attack recognises the class, not the training set. Members and non-members must come from
        the same distribution.
        :::

        :::{admonition} Solution 2
        :class: dropdown

        ```python
        f, t = vae_roc.fpr, vae_roc.tpr
        i = int((f <= 0.01).nonzero().max())          # the last point with FPR <= 1 %
        if f[i] == 0.01:
            by_hand = float(t[i])
        else:
            by_hand = float(t[i] + (0.01 - f[i]) * (t[i + 1] - t[i]) / (f[i + 1] - f[i]))
        print(by_hand, membership.tpr_at_fpr(vae_roc, 0.01))
        ```
        The two numbers agree: the ROC's FPR never decreases, so the last point at or below 1 % and the next one
        bracket it.
        :::

        :::{admonition} Solution 3
        :class: dropdown

        ```python
        import time

        start = time.time()
        big_fake = as_8bit(dcgan.sampling_generator.sample(4000, generator=torch.Generator().manual_seed(17)))
        big_judge = detector.train_detector(x_train, big_fake, epochs=20, channels=32, lr=1e-3, seed=0)
        print(time.time() - start, "s")
        print(detector.detector_accuracy(big_judge, x_held, fresh_gan))
        print(detector.detector_accuracy(big_judge, x_held, vae_samples))
        ```
        Expect a few minutes on a CPU. More capacity and more data help on the generator the detector was
        trained against; whether they help on the VAE is exactly the question of generalisation the section asks.
        :::

        :::{admonition} Solution 4
        :class: dropdown

        ```python
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
        ```
        With the pixels back on the grid of the pattern, the remaining 21 × 21 digit pixels carry most of the
        watermark and many images are detected again; the black border scores 0. A real verifier does not know
        the crop, and must search over offsets and scales — and every candidate it tries is another chance of a
        false positive.
        :::

        ## References

        See the [references page](../../book/en/references.md) for the full bibliography.
        """,
        zh=r"""
        这么小、训练这么短的检测器，在它所针对的生成器上也只比抛硬币好一点点，在 VAE 上甚至不如抛硬币——尽管第 5 章的弗雷歇距离表明，
        两个生成器的数字都不如真实数字。检测是一场检测方起步就落后的军备竞赛：它必须找出生成器弄错的某种统计特征，而一个更好的、
        或者仅仅是*不同*的生成器，弄错的地方也不同。更大的检测器训练得更久，在它认识的生成器上会做得更好（练习 3 问好多少）；
        VAE 那一列的教训——检测器只适应它见过的生成器——正是标识办法要求服务提供者主动*标识*其生成内容、而不是留给别人去检测的理由。

        ## 小结

        把本章的数字与第 1 章的四个问题对应起来：

        * **隐私。** 对本书 VAE 和 DCGAN 的损失阈值攻击和 LOGAN 成员推断都接近瞎猜——AUC 接近 0.5，1% 假阳性率处的真阳性率接近 1%（第 1 节）——
          因为这些模型对其 4,000 张数字几乎没有过拟合；而在只用 64 张数字过拟合的 VAE 上，同样的攻击 AUC 接近 1，还能毫无误报地认出一些成员。
          报告低假阳性率处的数字，用来自同一分布的成员与非成员作比较，并记住：攻击失败不等于有保证。
        * **问责与透明度。** 我国标识办法（2025 年 9 月 1 日起施行）要求的几种标识各有各的失效方式：元数据标识只经得住逐字节复制，
          显式标识经得住重新编码却经不住裁剪，带密钥水印经得住 JPEG 导出和大多数截屏，却经不住裁剪（第 2.1 节）。文本水印需要几十个字符，
          每字符代价不到一比特，重复的字符对只计一次时在本书文本上没有误报，替换五分之一到三分之一的字符后就逐渐失效（第 2.2 节）。
        * **检测作为保障手段**，在这些模型上很弱：小型检测器几乎分不清 DCGAN 数字和真实数字，也不能推广到 VAE（第 3 节）。
        * **公平**——偏斜的训练集会不会带来偏斜的生成器——第 1 章已在一个玩具生成器上测量过；要在第 5 章的模型上测量，需要在偏斜数据集上训练的模型，
          本章的这一版还没有。

        ## 练习

        1. **不公平的比较。** 用*前* 1,000 张训练数字（`x_train[:1000]`）作为成员，对全部留出数字重做对 VAE 的攻击。AUC 会怎样变化？
           为什么这不能证明隐私泄露？（提示：`y_train[:1000].bincount()`。）
        2. **手算 1% 假阳性率处的真阳性率。** 根据 `vae_roc.fpr` 和 `vae_roc.tpr`，找出假阳性率把 0.01 夹在中间的两个 ROC 点并线性插值；
           与 `membership.tpr_at_fpr(vae_roc, 0.01)` 比较。
        3. **更好的检测器。** 用 `channels=32` 和全部 4,000 张训练数字对 4,000 张 DCGAN 样本，把 `detector.train_detector` 训练 20 轮。
           它在新的 DCGAN 样本和 VAE 样本上的准确率各变化多少？需要多长时间？
        4. **重新对齐裁剪后的图像。** 第 2.1 节的裁剪保留了 112 × 112 图像中 (0, 0, 84, 84) 这个区域。把裁下的画面贴回一张 112 × 112 黑色画布的 (0, 0) 处，
           缩到 28 × 28 后再检测水印。现在 100 张图像中有多大比例能被检出？

        :::{admonition} 答案 1
        :class: dropdown

        ```python
        print(y_train[:1000].bincount(minlength=10))
        rigged_in = membership.vae_loss_scores(vae, x_train[:1000], draws=2)
        rigged_out = membership.vae_loss_scores(vae, x_held, draws=2)
        print(membership.attack_summary(rigged_in, rigged_out))
        ```
        离线训练数字按类别顺序存放，所以前 1,000 张几乎全是 0、1 和 2，而留出集中每个数字都有。不同类别的数字典型损失不同（细细的 1
        比 8 少花许多奈特），所以尽管与成员身份有关的一切都没有变，AUC 却偏离了 0.5：攻击认出的是类别，而不是训练集。成员与非成员必须来自同一个分布。
        :::

        :::{admonition} 答案 2
        :class: dropdown

        ```python
        f, t = vae_roc.fpr, vae_roc.tpr
        i = int((f <= 0.01).nonzero().max())          # 假阳性率不超过 1% 的最后一个点
        if f[i] == 0.01:
            by_hand = float(t[i])
        else:
            by_hand = float(t[i] + (0.01 - f[i]) * (t[i + 1] - t[i]) / (f[i + 1] - f[i]))
        print(by_hand, membership.tpr_at_fpr(vae_roc, 0.01))
        ```
        两个数相同：ROC 的假阳性率从不减小，所以不超过 1% 的最后一个点与它的下一个点正好把 1% 夹在中间。
        :::

        :::{admonition} 答案 3
        :class: dropdown

        ```python
        import time

        start = time.time()
        big_fake = as_8bit(dcgan.sampling_generator.sample(4000, generator=torch.Generator().manual_seed(17)))
        big_judge = detector.train_detector(x_train, big_fake, epochs=20, channels=32, lr=1e-3, seed=0)
        print(time.time() - start, "秒")
        print(detector.detector_accuracy(big_judge, x_held, fresh_gan))
        print(detector.detector_accuracy(big_judge, x_held, vae_samples))
        ```
        在 CPU 上大约需要几分钟。更大的容量和更多的数据，对检测器所针对的生成器有帮助；对 VAE 是否有帮助，正是本节所问的推广问题。
        :::

        :::{admonition} 答案 4
        :class: dropdown

        ```python
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
        ```
        像素回到水印图案的网格上之后，剩下的 21 × 21 个数字像素承载了大部分水印，许多图像又能被检出；黑色边框的得分为 0。
        真正的核验方并不知道图像是怎样裁剪的，只能在各种偏移和缩放中搜索——而每多试一种，就多一次误报的机会。
        :::

        ## 参考文献

        完整的参考文献列表见[参考文献页](../../book/zh/references.md)。
        """,
    ),
]
