"""Chapter 4: GPT — the mathematics, and a tiny GPT trained on this book's own text."""
from twins import code, md, objectives, solution

CELLS = [
    md(
        en=r"""
        # 4 · GPT: the mathematics, and a tiny GPT trained on this book

        A GPT {cite:p}`radford2018gpt,radford2019gpt2` is an **autoregressive** generative model of text: it
        assigns a probability to the next token given all the tokens before it, and generates by drawing one
        token at a time. Architecturally it is a **decoder-only Transformer** {cite:p}`vaswani2017attention`:
        a stack of blocks of *causal self-attention* and a small MLP. Unlike the original Transformer for
        translation it has **no encoder and no cross-attention** — every token attends only to earlier tokens
        of the same sequence.

        In this chapter we build every piece, check each formula numerically, and meet a real (tiny) GPT:
        about a million parameters, trained at character level on **the prose of this very book**, in English
        and Chinese. You will

        * measure cross-entropy and perplexity, and compute two baselines (unigram, bigram) that any language
          model must beat;
        * compute attention by hand, and *measure* why the scores are divided by $\sqrt{d_k}$;
        * check that the causal mask really stops information from flowing backwards;
        * verify that the sinusoidal position code turns a shift of position into a fixed rotation;
        * count the parameters of a GPT ($\approx 12 L d^2$) and compare the count with the model;
        * train a GPT, compare it with the baselines, and sample from it with temperature, top-k and top-p.
        """,
        zh=r"""
        # 4 · GPT：数学原理，以及用本书训练的微型 GPT

        GPT {cite:p}`zh-radford2018gpt,zh-radford2019gpt2` 是一种**自回归**的文本生成模型：给定前面所有的词元，
        它为下一个词元给出概率分布；生成时每次抽取一个词元，再把它接到输入后面。从结构上看，它是**仅解码器 Transformer**
        {cite:p}`zh-vaswani2017attention`：由若干个“因果自注意力 + 小型 MLP”的模块堆叠而成。与最初用于机器翻译的
        Transformer 不同，GPT **没有编码器，也没有交叉注意力**——每个词元只能关注同一序列中排在它前面的词元。

        本章逐一搭建每个部件，并用数值计算检验每一个公式；最后还会见到一个真正的（微型）GPT：大约一百万个参数，
        在字符级别上用**本书自己的中英文正文**训练而成。读完本章，你将：

        * 计算交叉熵与困惑度，并给出任何语言模型都必须超越的两条基线（一元模型、二元模型）；
        * 手算一遍注意力，并通过*测量*弄清为什么要把分数除以 $\sqrt{d_k}$；
        * 验证因果掩码确实阻止了信息从后往前流动；
        * 验证正弦位置编码把位置的平移变成一个固定的旋转；
        * 数一数 GPT 的参数（约 $12 L d^2$），并与实际模型对照；
        * 训练一个 GPT，与基线比较，再用温度、top-k 和 top-p 从中采样。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            "factor $p(x)$ autoregressively, and convert between cross-entropy, bits per character and perplexity;",
            r"compute scaled dot-product attention by hand, explain the $\sqrt{d_k}$, and show that the causal mask keeps the future out;",
            "write the sinusoidal positional encoding correctly, and check that an offset acts as a rotation;",
            r"take a decoder-only block apart (pre-LayerNorm, residuals, MLP) and count its parameters, $\approx 12 L d^2$;",
            "train a tiny character-level GPT on this book, and sample it greedily and with temperature, top-k and top-p.",
        ],
        zh=[
            "把 $p(x)$ 按自回归方式分解，并在交叉熵、每字符比特数与困惑度之间换算；",
            r"手算缩放点积注意力，解释为什么除以 $\sqrt{d_k}$，并演示因果掩码如何挡住后面的位置；",
            "正确写出正弦位置编码，并验证位置偏移相当于一次旋转；",
            r"拆解仅解码器 Transformer 的模块（前置层归一化、残差连接、MLP），并数出它的参数量 $\approx 12 L d^2$；",
            "用本书的文本训练一个字符级的小型 GPT，并用贪心、温度、top-k 和 top-p 采样生成文本。",
        ],
        chapters=(0, 1),
        maths_en="matrix products, the softmax, logarithms in base 2 and e (bits against nats), conditional probability, sine and cosine.",
        maths_zh="矩阵乘法、softmax、以 2 和 e 为底的对数（比特与奈特）、条件概率、正弦与余弦。",
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
        from course_lib import text
        from course_lib.models import gpt

        course_lib.setup_notebook(seed=0, lang=T("en", "zh"))
        # en: One CPU thread: tiny models gain nothing from more, and the printed numbers stay the same run after run.
        # zh: 只用一个 CPU 线程：微型模型用更多线程也快不了多少，而且每次运行打印的数字都一样。
        torch.set_num_threads(1)
        """,
        # the chapter's setup cell: a slide of its own below the title slide (by the rule it would
        # sit under the chapter's introduction, off the bottom of the screen)
        slide="subslide",
    ),
    md(
        en=r"""
        ## 1 · The corpus: this book, frozen

        The training text is the book's own prose: the markdown of every chapter (both languages, this one
        included, as they stood on the snapshot's date) and of the pages in `book/`; the code is left out. Prose changes whenever an author edits a sentence, and the numbers of this chapter
        should not. So `course_lib` ships a **frozen, versioned snapshot** of the text, `book_v1.txt`, with a
        JSON record of its SHA-256 checksum, its sources and its date. `load_corpus()` refuses a snapshot
        whose checksum does not match. A new snapshot is made — deterministically: sorted files, normalised
        whitespace — by

        ```bash
        python tools/corpus.py build --root . --version v2
        ```

        **Held-out text.** We hold out the last 10 % of *every document* (one document = one page or one
        chapter in one language). The validation text therefore contains both languages and every chapter,
        and not one of its characters is seen in training.
        """,
        zh=r"""
        ## 1 · 语料：冻结下来的本书

        训练文本就是本书自己的正文：每一章（两种语言，包括本章，以快照生成当天的版本为准）以及 `book/` 中各页面的 markdown，不含代码。作者每改一句话，正文就会变，
        而本章的数字不应随之改变。因此 `course_lib` 附带了一份**冻结的、带版本号的快照** `book_v1.txt`，
        并用一个 JSON 文件记录它的 SHA-256 校验和、来源文件和生成日期；校验和不符时 `load_corpus()` 会拒绝加载。
        生成新快照的命令如下（过程是确定性的：文件按路径排序，空白字符统一规范化）：

        ```bash
        python tools/corpus.py build --root . --version v2
        ```

        **留出数据。** 我们把*每一篇文档*（一篇文档 = 一个页面或一章的一种语言）的最后 10% 留作验证集。
        这样验证文本中两种语言、每一章都有，而且其中没有一个字符在训练时出现过。
        """,
    ),
    code(
        """
        info = text.snapshot_info("v1")
        # en: the SHA-256 is checked here
        # zh: 这里会校验 SHA-256
        corpus = text.load_corpus("v1")
        docs = text.load_documents("v1")
        train_text, val_text = text.train_val_text("v1")

        def cjk_share(s):
            return sum("\\u4e00" <= c <= "\\u9fff" for c in s) / len(s)

        print(T("snapshot:", "快照："), info["file"], T("created", "生成于"), info["created_utc"][:10], "sha256", info["sha256"][:16], "…")
        print(T("characters:", "字符数："), len(corpus), T("  documents:", "  文档数："), len(docs),
              "(en", sum(d.lang == "en" for d in docs), "/ zh", sum(d.lang == "zh" for d in docs), ")")
        print(T("training / validation characters:", "训练 / 验证字符数："), len(train_text), "/", len(val_text))
        print(T("share of Chinese characters, training / validation:", "汉字所占比例（训练 / 验证）："),
              round(cjk_share(train_text), 3), "/", round(cjk_share(val_text), 3))
        """
    ),
    md(
        en=r"""
        ## 2 · Tokens and embeddings

        A language model reads **tokens**. Production GPTs use sub-word tokens; we use the simplest choice
        that works for both languages: **one token per character**. An English letter, a space, a Chinese
        character and a punctuation mark are each one token. The vocabulary is the set of characters of the
        corpus, sorted by code point; a character outside it is an error (not silently replaced), because the
        model never learned anything about it.

        Each token id $x_t\in\{0,\dots,V-1\}$ is turned into a vector by an **embedding** table
        $E\in\mathbb R^{V\times d}$: the token's vector is the row $E_{x_t}$, which is the same as the one-hot
        vector of $x_t$ times $E$.
        """,
        zh=r"""
        ## 2 · 词元与嵌入

        语言模型读入的是**词元**。实际应用中的 GPT 使用子词词元；我们采用对两种语言都适用的最简单方案：**一个字符就是一个词元**。
        一个英文字母、一个空格、一个汉字、一个标点，各是一个词元。词表就是语料中出现过的字符集合，按码位排序；
        词表之外的字符会直接报错（而不是悄悄替换），因为模型对它一无所知。

        每个词元编号 $x_t\in\{0,\dots,V-1\}$ 通过**嵌入**表 $E\in\mathbb R^{V\times d}$ 变成一个向量：
        该词元的向量就是第 $x_t$ 行 $E_{x_t}$，也就是 $x_t$ 的独热向量乘以 $E$。
        """,
    ),
    code(
        """
        tok = text.CharTokenizer.from_text(corpus)
        sample = "GPT 的注意力 (attention) 只看过去。"
        ids = tok.encode(sample)
        print(T("vocabulary size V =", "词表大小 V ="), tok.vocab_size)
        print(T("text:", "文本："), sample)
        print(T("ids: ", "编号："), ids)
        print(T("round trip exact:", "往返完全一致："), tok.decode(ids) == sample, T("| tokens = characters:", "| 词元数 = 字符数："), len(ids) == len(sample))
        try:
            tok.encode("GPT 🚀")
        except text.CorpusError as err:
            print(type(err).__name__, "→", str(err).split(".")[0])
            print(T("(the tokenizer names the characters it has no id for, instead of guessing)",
                    "（库的报错信息是英文的，意思是：有 1 个字符不在词表中，分词器不会随意替换，而是指出是哪个字符。）"))

        emb = torch.nn.Embedding(tok.vocab_size, 8)
        one_hot = F.one_hot(torch.tensor(ids), tok.vocab_size).float()
        print(T("embedding lookup = one-hot × E:", "查表 = 独热向量 × E："), torch.allclose(emb(torch.tensor(ids)), one_hot @ emb.weight))
        """
    ),
    md(
        en=r"""
        ## 3 · The autoregressive factorisation, cross-entropy and perplexity

        By the chain rule of probability, **any** distribution over sequences factorises as

        $$
        p(x_1,\dots,x_N)=\prod_{t=1}^{N}p(x_t\mid x_1,\dots,x_{t-1}).
        $$

        An autoregressive model learns each factor $p_\theta(x_t\mid x_{<t})$. Nothing is assumed: the
        factorisation is exact. The cell below checks it on a random joint distribution over the eight strings
        of length 3 over $\{a,b\}$: the product of the conditionals, each computed by marginalising the joint,
        gives back the joint.
        """,
        zh=r"""
        ## 3 · 自回归分解、交叉熵与困惑度

        根据概率的链式法则，**任何**序列分布都可以分解为

        $$
        p(x_1,\dots,x_N)=\prod_{t=1}^{N}p(x_t\mid x_1,\dots,x_{t-1}).
        $$

        自回归模型学习的正是每一个因子 $p_\theta(x_t\mid x_{<t})$。这里没有任何额外假设：这一分解是精确的。
        下面的单元格在 $\{a,b\}$ 上长度为 3 的八个字符串上随机取一个联合分布来验证：先对联合分布求边缘得到各个条件概率，
        再把它们相乘，结果与联合分布完全一致。
        """,
    ),
    code(
        """
        g = torch.Generator().manual_seed(0)
        joint = torch.rand(2, 2, 2, generator=g, dtype=torch.float64)
        joint /= joint.sum()                      # p(x1, x2, x3)
        p1 = joint.sum((1, 2))                    # p(x1)
        p2 = joint.sum(2) / p1[:, None]           # p(x2 | x1)
        p3 = joint / joint.sum(2, keepdim=True)   # p(x3 | x1, x2)
        product = p1[:, None, None] * p2[:, :, None] * p3
        print(T("max |product of conditionals − joint| =", "max |条件概率之积 − 联合概率| ="), float((product - joint).abs().max()))
        """
    ),
    md(
        en=r"""
        Training maximises the likelihood of the text, i.e. minimises the **cross-entropy** per character,
        which we measure in **bits** (base-2 logarithm):

        $$
        H=-\frac1N\sum_{t=1}^{N}\log_2 p_\theta(x_t\mid x_{<t})\quad\text{bits per character},\qquad
        \mathrm{PPL}=2^{H}.
        $$

        The **perplexity** is the size of a uniform choice that would be equally surprising: a model that
        guesses uniformly among the $V$ characters has $H=\log_2 V$ and perplexity exactly $V$. (PyTorch's
        `cross_entropy` uses the natural log, in nats; divide by $\ln 2$ for bits, and $e^{\text{nats}}=2^{\text{bits}}$.)

        Two **baselines** tell us what "good" means on this corpus:

        * the **unigram** model $p(x_t)$ — character frequencies, no context;
        * the **bigram** model $p(x_t\mid x_{t-1})$ — counts of adjacent pairs, one character of context.

        Both are fitted on the training text with add-$\alpha$ smoothing (so that unseen pairs keep a small
        probability) and scored on the validation text. We try several $\alpha$ and report the best
        **validation** value, which flatters the baselines: the GPT gets no such favour.
        """,
        zh=r"""
        训练就是最大化文本的似然，也就是最小化每个字符的**交叉熵**。我们以**比特**为单位（以 2 为底的对数）来度量：

        $$
        H=-\frac1N\sum_{t=1}^{N}\log_2 p_\theta(x_t\mid x_{<t})\quad\text{比特/字符},\qquad
        \mathrm{PPL}=2^{H}.
        $$

        **困惑度**可以看作一个等效的选项个数：模型每一步的“意外”程度，相当于在这么多个选项中均匀地随机猜测。在 $V$ 个字符中均匀随机猜测的模型，$H=\log_2 V$，困惑度恰好是 $V$。
        （PyTorch 的 `cross_entropy` 用自然对数，单位是奈特；除以 $\ln 2$ 即得比特，而且 $e^{\text{奈特}}=2^{\text{比特}}$。）

        两条**基线**告诉我们在这份语料上怎样才算“好”：

        * **一元模型** $p(x_t)$——只看字符频率，不看上下文；
        * **二元模型** $p(x_t\mid x_{t-1})$——统计相邻字符对，只看前一个字符。

        两者都在训练文本上拟合，使用加 $\alpha$ 平滑（让没见过的字符对仍保有一点概率），在验证文本上打分。
        我们尝试多个 $\alpha$，报告**验证集**上最好的那个值——这对基线是偏袒的，而 GPT 没有这种优待。
        """,
    ),
    code(
        """
        train_ids, val_ids = tok.encode_tensor(train_text), tok.encode_tensor(val_text)
        bi = {a: text.bigram_bits_per_char(train_ids, val_ids, tok.vocab_size, alpha=a) for a in text.ALPHAS}
        uni_bpc, a_uni = text.best_ngram_bits_per_char(train_ids, val_ids, tok.vocab_size, order=1)
        bi_bpc, a_bi = text.best_ngram_bits_per_char(train_ids, val_ids, tok.vocab_size, order=2)
        baselines = {
            T("uniform over V", "V 上均匀分布"): math.log2(tok.vocab_size),
            T("unigram", "一元模型"): uni_bpc,
            T("bigram", "二元模型"): bi_bpc,
        }
        print(T("bigram bits/char for each alpha:", "二元模型在各 alpha 下的每字符比特数："), {a: round(v, 3) for a, v in bi.items()})
        print(T(f"best alpha: unigram {a_uni}, bigram {a_bi}", f"最佳 alpha：一元模型 {a_uni}，二元模型 {a_bi}"))
        for name, h in baselines.items():
            print(T(f"{pad(name, 16)}: {h:6.3f} bits/char   perplexity {2 ** h:8.1f}", f"{pad(name, 8)}：每字符 {h:6.3f} 比特，困惑度 {2 ** h:8.1f}"))
        print(T("check: perplexity of the uniform model = V:", "验证：均匀模型的困惑度 = V："), round(2 ** math.log2(tok.vocab_size)) == tok.vocab_size)
        """
    ),
    md(
        en=r"""
        The bigram model already knows a lot — which letters follow which, which characters start a Chinese
        word — but it forgets everything beyond one character. A GPT conditions on the whole context window,
        and the mechanism that lets it do so is **attention**.

        ## 4 · Attention, step by step

        Each position $t$ emits a **query** $q_t$, a **key** $k_t$ and a **value** $v_t$ (three linear maps of
        its vector). Position $t$ scores every position $s$ by the dot product $q_t\cdot k_s$, turns the
        scores into weights with a softmax, and outputs the weighted average of the values:

        $$
        \mathrm{Attention}(Q,K,V)=\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V ,
        $$

        with one row per query, $Q\in\mathbb R^{T\times d_k}$, $K\in\mathbb R^{T\times d_k}$,
        $V\in\mathbb R^{T\times d_v}$. A toy example with three tokens and $d_k=2$, computed by hand and then
        by `course_lib.models.gpt.attention` and by PyTorch's fused `scaled_dot_product_attention`:
        """,
        zh=r"""
        二元模型已经懂得不少——哪些字母常跟在哪些字母后面，哪些汉字常作为词的开头——但它看不到前一个字符之外的任何东西。
        GPT 以整个上下文窗口为条件，让它做到这一点的机制就是**注意力**。

        ## 4 · 一步一步看注意力

        每个位置 $t$ 产生一个**查询** $q_t$、一个**键** $k_t$ 和一个**值** $v_t$（都是它的向量经过线性映射得到的）。
        位置 $t$ 用点积 $q_t\cdot k_s$ 给每个位置 $s$ 打分，经 softmax 把分数变成权重，再输出各个值的加权平均：

        $$
        \mathrm{Attention}(Q,K,V)=\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V ,
        $$

        其中每个查询占一行，$Q\in\mathbb R^{T\times d_k}$、$K\in\mathbb R^{T\times d_k}$、$V\in\mathbb R^{T\times d_v}$。
        下面是一个三个词元、$d_k=2$ 的小例子：先手算，再用 `course_lib.models.gpt.attention` 和 PyTorch 融合实现的
        `scaled_dot_product_attention` 各算一遍：
        """,
    ),
    code(
        """
        Q = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
        K = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 1.0]])
        V = torch.tensor([[1.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 100.0]])

        scores = Q @ K.T / math.sqrt(2)
        weights = scores.softmax(dim=-1)
        by_hand = weights @ V
        def r3(m):
            return [[round(v, 3) for v in row] for row in m.tolist()]

        print(T("scores QKᵀ/√d_k:", "分数 QKᵀ/√d_k："), r3(scores))
        print(T("weights (rows sum to 1):", "权重（每行之和为 1）："), r3(weights))
        print(T("output:", "输出："), r3(by_hand))

        ours, _ = gpt.attention(Q, K, V)
        ref = F.scaled_dot_product_attention(Q[None], K[None], V[None])[0]
        print(T("course_lib = by hand:", "course_lib = 手算："), torch.allclose(ours, by_hand),
              T("| PyTorch = by hand:", "| PyTorch = 手算："), torch.allclose(ref, by_hand, atol=1e-6))
        """
    ),
    md(
        en=r"""
        Query 1, $(1,0)$, points along key 1 and gives it the largest weight, so its output leans towards
        value 1; query 2, $(0,2)$, matches keys 2 and 3 equally and mixes their values.

        ### Why divide by $\sqrt{d_k}$?

        If the components of $q$ and $k$ are independent with mean 0 and variance 1, then
        $q\cdot k=\sum_{j=1}^{d_k}q_jk_j$ is a sum of $d_k$ terms of variance 1, so
        $\mathrm{Var}(q\cdot k)=d_k$. For $d_k=64$ the scores have a standard deviation of 8, the softmax puts
        almost all weight on one key — it **saturates** — and its gradient all but vanishes. Dividing by
        $\sqrt{d_k}$ brings the variance back to 1 whatever the width {cite:p}`vaswani2017attention`. Measured,
        on 20,000 random pairs and softmaxes over 32 keys:
        """,
        zh=r"""
        查询 1 为 $(1,0)$，与键 1 方向一致，给它的权重最大，因此输出偏向值 1；查询 2 为 $(0,2)$，与键 2、键 3 的匹配程度相同，
        于是把这两个值平均混合。

        ### 为什么要除以 $\sqrt{d_k}$？

        若 $q$ 和 $k$ 的各分量相互独立、均值为 0、方差为 1，那么 $q\cdot k=\sum_{j=1}^{d_k}q_jk_j$ 是 $d_k$ 个方差为 1 的项之和，
        所以 $\mathrm{Var}(q\cdot k)=d_k$。当 $d_k=64$ 时，分数的标准差是 8，softmax 几乎把全部权重压在一个键上——即**饱和**——
        梯度也随之几乎消失。除以 $\sqrt{d_k}$ 之后，无论维度多大，方差都回到 1 {cite:p}`zh-vaswani2017attention`。
        下面用 20,000 对随机向量、在 32 个键上做 softmax 来实测：
        """,
    ),
    code(
        """
        g = torch.Generator().manual_seed(0)
        dims = [4, 16, 64, 256, 1024]
        rows = []
        for d_k in dims:
            q = torch.randn(20000, d_k, generator=g, dtype=torch.float64)
            k = torch.randn(20000, d_k, generator=g, dtype=torch.float64)
            dots = (q * k).sum(1)
            s = torch.randn(2000, 32, d_k, generator=g, dtype=torch.float64) @ torch.randn(2000, d_k, 1, generator=g, dtype=torch.float64)
            s = s.squeeze(-1)
            for scaled in (False, True):
                w = (s / math.sqrt(d_k) if scaled else s).softmax(-1)
                # en: d softmax / d scores
                # zh: softmax 对得分的导数
                jac = torch.diag_embed(w) - w[:, :, None] * w[:, None, :]
                rows.append((d_k, scaled, float((dots / math.sqrt(d_k) if scaled else dots).var()),
                             float(w.max(-1).values.mean()), float(jac.norm(dim=(1, 2)).mean())))

        print(f"{'d_k':>5} {pad(T('scaled', '缩放'), 6)} {'Var(q·k)':>9} {pad(T('mean max weight', '最大权重均值'), 16)} {pad(T('|Jacobian|', '雅可比范数'), 11)}")
        for d_k, scaled, var, wmax, jn in rows:
            print(f"{d_k:>5} {str(scaled):>6} {var:9.2f} {wmax:16.3f} {jn:11.4f}")
        """
    ),
    code(
        """
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
        for scaled, style, name in ((False, "o-", T("q·k", "q·k")), (True, "s-", T("q·k / √d_k", "q·k / √d_k"))):
            sel = [r for r in rows if r[1] == scaled]
            axes[0].loglog([r[0] for r in sel], [r[2] for r in sel], style, label=name)
            axes[1].semilogx([r[0] for r in sel], [r[3] for r in sel], style, label=name)
        axes[0].loglog(dims, dims, "k:", label=T("d_k (theory)", "d_k（理论值）"))
        axes[0].set(xlabel="d_k", ylabel=T("variance of the score", "分数的方差"), title=T("Score variance", "分数的方差"))
        axes[1].axhline(1 / 32, color="gray", ls=":", label=T("uniform (1/32)", "均匀（1/32）"))
        axes[1].set(xlabel="d_k", ylabel=T("mean largest weight", "最大权重的均值"), title=T("Softmax saturation (32 keys)", "softmax 饱和（32 个键）"), ylim=(0, 1))
        for ax in axes:
            ax.legend(fontsize=8)
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        en=r"""
        The table confirms $\mathrm{Var}(q\cdot k)\approx d_k$ unscaled and $\approx 1$ scaled. Without
        scaling, the mean largest weight climbs towards 1 as $d_k$ grows (one key takes everything) and the
        norm of the softmax Jacobian — how much the weights respond to a change of the scores — shrinks
        towards 0: that is the saturation that stalls learning. With scaling, both stay put.

        ## 5 · The causal mask

        A language model must predict $x_{t+1}$ from $x_{\le t}$ only. In training, the model predicts *all*
        positions of a window at once, so position $t$ must be forbidden to look at positions $s>t$. The
        **causal mask** adds $-\infty$ to those scores before the softmax:

        $$
        \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}+M\right),\qquad
        M_{ts}=\begin{cases}0 & s\le t\\ -\infty & s>t\end{cases}
        $$

        so their weights are exactly $e^{-\infty}=0$. With the mask, the output at $t$ depends on the inputs at
        $1,\dots,t$ only. We **check** it on the trained model of this chapter (loaded from the checkpoint that
        ships with `course_lib`; section 9 tells how it was made): change one character in the middle of a
        sentence, and compare the model's outputs before and after.
        """,
        zh=r"""
        表中结果证实：不缩放时 $\mathrm{Var}(q\cdot k)\approx d_k$，缩放后 $\approx 1$。不缩放时，随着 $d_k$ 增大，
        最大权重的均值逐渐趋近 1（一个键拿走全部权重），而 softmax 雅可比矩阵的范数——即权重对分数变化的响应程度——
        逐渐趋近 0：这就是让学习停滞的饱和现象。缩放之后，两者都保持稳定。

        ## 5 · 因果掩码

        语言模型只能根据 $x_{\le t}$ 来预测 $x_{t+1}$。训练时，模型一次性预测一个窗口中*所有*位置，
        因此必须禁止位置 $t$ 看到位置 $s>t$。**因果掩码**在 softmax 之前给这些分数加上 $-\infty$：

        $$
        \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}+M\right),\qquad
        M_{ts}=\begin{cases}0 & s\le t\\ -\infty & s>t\end{cases}
        $$

        于是这些位置的权重恰好是 $e^{-\infty}=0$。加了掩码之后，位置 $t$ 的输出只依赖于位置 $1,\dots,t$ 的输入。
        我们在本章训练好的模型上**验证**这一点（模型从 `course_lib` 附带的检查点加载，第 9 节会说明它是怎样得到的）：
        把一句话中间的一个字符换掉，比较换字前后模型的输出。
        """,
    ),
    code(
        """
        model, tok_ckpt, card = gpt.load_gpt()  # course_lib/checkpoints/gpt_book
        print(T("the checkpoint's vocabulary is this tokenizer's:", "检查点的词表与上面的分词器一致："), tok_ckpt.chars == tok.chars)

        sentence = "The causal mask: 因果掩码只看过去。"
        ids_a = tok.encode_tensor(sentence)[None]
        ids_b = ids_a.clone()
        pos = 20
        ids_b[0, pos] = tok.stoi["的"]
        print(T("changed character", "换掉的字符"), repr(sentence[pos]), "→", repr(tok.decode(ids_b[0, pos:pos + 1])), T("at position", "位置"), pos)
        with torch.no_grad():
            out_a, _ = model(ids_a)
            out_b, _ = model(ids_b)
        diff = (out_a - out_b).abs().amax(-1)[0]
        print(T("max |Δ output| at positions before it:", "之前各位置输出的最大变化："), float(diff[:pos].max()))
        print(T("max |Δ output| from it on:           ", "该位置及之后的最大变化：  "), round(float(diff[pos:].max()), 3))
        """
    ),
    md(
        en=r"""
        Zero, exactly, before the change; a real difference from the change on. Information flows only
        forwards. (The check is sharp because the mask gives weight *exactly* zero; a mask that merely
        subtracted a large number would leave a tiny leak.) Here is what the mask does to the attention
        weights of the trained model — the first head of its first block, on the same sentence. Everything
        above the diagonal is zero:
        """,
        zh=r"""
        换字之前的位置，变化恰好为零；从换字的位置开始，输出才真正改变。信息只向前流动。
        （这个检验之所以干脆利落，是因为掩码给出的权重*恰好*为零；如果只是减去一个很大的数，就会留下极其微小的泄漏。）
        下面展示训练好的模型在掩码作用下的注意力权重——第一个模块的第一个头，输入还是同一句话。对角线以上全部为零：
        """,
    ),
    code(
        """
        with torch.no_grad():
            x = model.tok_emb(ids_a) + model.position_table()[: ids_a.shape[1]]
            _, w = model.blocks[0].attn(model.blocks[0].ln1(x), return_weights=True)
        w0 = w[0, 0]
        print(T("largest weight above the diagonal:", "对角线以上的最大权重："), float(w0.triu(1).max()))
        labels = [c if c != " " else "␣" for c in sentence]
        fig, ax = plt.subplots(figsize=(6.2, 5.4))
        ax.imshow(w0.numpy(), cmap="Blues")
        ax.set_xticks(range(len(labels)), labels, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_xlabel(T("key position s (attended to)", "键的位置 s（被关注）"))
        ax.set_ylabel(T("query position t", "查询的位置 t"))
        ax.set_title(T("Causal attention weights (block 1, head 1)", "因果注意力权重（第 1 个模块，第 1 个头）"))
        plt.show()
        """
    ),
    md(
        en=r"""
        ## 6 · Multi-head attention

        One attention pattern per layer is limiting: a character may need to look at the previous character
        *and* at the beginning of the word. **Multi-head attention** runs $h$ attentions in parallel, each on
        its own $d_k=d/h$-dimensional projections, and mixes their concatenated outputs:

        $$
        \mathrm{MultiHead}(X)=\mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h)\,W^O,\qquad
        \mathrm{head}_i=\mathrm{Attention}(XW_i^Q,\,XW_i^K,\,XW_i^V).
        $$

        With $d_k=d/h$, the cost is that of one full-width head. `course_lib`'s `MultiHeadAttention` computes
        all heads with one matrix product and calls PyTorch's fused `scaled_dot_product_attention`; the cell
        below recomputes the same layer head by head with our readable `attention` function and compares.
        """,
        zh=r"""
        ## 6 · 多头注意力

        每层只有一种注意力模式是不够的：一个字符可能既需要看前一个字符，*又*需要看词的开头。**多头注意力**并行地运行 $h$ 个注意力，
        每个头在各自 $d_k=d/h$ 维的投影上计算，再把它们的输出拼接起来加以混合：

        $$
        \mathrm{MultiHead}(X)=\mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h)\,W^O,\qquad
        \mathrm{head}_i=\mathrm{Attention}(XW_i^Q,\,XW_i^K,\,XW_i^V).
        $$

        由于 $d_k=d/h$，计算量与一个全宽度的头相当。`course_lib` 的 `MultiHeadAttention` 用一次矩阵乘法算出所有头，
        并调用 PyTorch 融合实现的 `scaled_dot_product_attention`；下面的单元格用我们自己易读的 `attention` 函数逐个头重新计算同一层，并加以比较。
        """,
    ),
    code(
        """
        mha = model.blocks[0].attn
        h = model.blocks[0].ln1(x)
        with torch.no_grad():
            fused = mha(h)
            d, n_head = mha.d_model, mha.n_head
            d_k = d // n_head
            q_all, k_all, v_all = (h @ W.T + b for W, b in zip(mha.qkv.weight.split(d), mha.qkv.bias.split(d)))
            heads = []
            for i in range(n_head):
                cols = slice(i * d_k, (i + 1) * d_k)
                out_i, _ = gpt.attention(q_all[..., cols], k_all[..., cols], v_all[..., cols], causal=True)
                heads.append(out_i)
            by_heads = mha.proj(torch.cat(heads, dim=-1))
        print(T("heads:", "头数："), n_head, " d_k =", d_k)
        print(T("fused = head by head (to 1e-6):", "融合实现 = 逐头计算（误差小于 1e-6）："), bool((fused - by_heads).abs().max() < 1e-6))
        """
    ),
    code(
        """
        with torch.no_grad():
            hidden = x
            for block in model.blocks[:-1]:
                hidden = block(hidden)
            _, w_last = model.blocks[-1].attn(model.blocks[-1].ln1(hidden), return_weights=True)
        fig, axes = plt.subplots(1, n_head, figsize=(11, 3.2))
        for i, ax in enumerate(axes):
            ax.imshow(w_last[0, i].numpy(), cmap="Blues", vmin=0, vmax=1)
            ax.set_title(T(f"head {i + 1}", f"第 {i + 1} 个头"), fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(T("Last block: each head attends differently", "最后一个模块：每个头的关注方式各不相同"))
        plt.show()
        dist = torch.arange(len(sentence))[:, None] - torch.arange(len(sentence))[None, :]
        for i in range(n_head):
            print(T(f"head {i + 1}: mean distance looked back", f"第 {i + 1} 个头：平均回看距离"), round(float((w_last[0, i] * dist.clamp(min=0)).sum(-1).mean()), 2))
        """
    ),
    md(
        en=r"""
        ## 7 · Positional encoding

        Attention by itself ignores order: permute the input vectors and (without a mask) the outputs are
        permuted in the same way — a bag of tokens, not a sequence. We check that first, then give the model
        positions. The original Transformer adds a fixed **sinusoidal** code to each token vector
        {cite:p}`vaswani2017attention`:

        $$
        \mathrm{PE}(p,2i)=\sin\!\big(p/10000^{2i/d}\big),\qquad
        \mathrm{PE}(p,2i+1)=\cos\!\big(p/10000^{2i/d}\big),
        $$

        where $p$ is the position and $i=0,\dots,d/2-1$ indexes the pair of dimensions. Each pair is a point on
        a circle turning at its own frequency $\omega_i=10000^{-2i/d}$, from one turn every $2\pi$ positions
        down to very slow ones.
        """,
        zh=r"""
        ## 7 · 位置编码

        注意力本身不理会顺序：把输入向量的顺序打乱，（不加掩码时）输出也以同样的方式被打乱——模型看到的是一袋词元，
        而不是一个序列。我们先验证这一点，再为模型加上位置信息。最初的 Transformer 给每个词元向量加上一个固定的**正弦**编码
        {cite:p}`zh-vaswani2017attention`：

        $$
        \mathrm{PE}(p,2i)=\sin\!\big(p/10000^{2i/d}\big),\qquad
        \mathrm{PE}(p,2i+1)=\cos\!\big(p/10000^{2i/d}\big),
        $$

        其中 $p$ 是位置，$i=0,\dots,d/2-1$ 是维度对的编号。每一对维度是圆上的一个点，以各自的频率 $\omega_i=10000^{-2i/d}$ 旋转：
        从每 $2\pi$ 个位置转一圈，一直到转得极慢的维度。
        """,
    ),
    code(
        """
        g = torch.Generator().manual_seed(1)
        X = torch.randn(6, 4, generator=g)
        perm = torch.tensor([3, 0, 5, 1, 4, 2])
        out, _ = gpt.attention(X, X, X)
        out_perm, _ = gpt.attention(X[perm], X[perm], X[perm])
        print(T("no positions: attention(permuted input) = permuted attention(input):", "没有位置信息时：attention(打乱的输入) = 打乱的 attention(输入)："),
              torch.allclose(out_perm, out[perm], atol=1e-6))

        d_pe = 64
        pe = gpt.sinusoidal_positions(128, d_pe)
        p, i = 37, 5
        print(T("PE(37, 10) from the table / from the formula:", "PE(37, 10)：查表 / 按公式："), round(float(pe[p, 2 * i]), 6), round(math.sin(p / 10000 ** (2 * i / d_pe)), 6))
        print(T("PE(37, 11) from the table / from the formula:", "PE(37, 11)：查表 / 按公式："), round(float(pe[p, 2 * i + 1]), 6), round(math.cos(p / 10000 ** (2 * i / d_pe)), 6))

        fig, ax = plt.subplots(figsize=(7.5, 3.4))
        im = ax.imshow(pe.T.numpy(), aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set(xlabel=T("position p", "位置 p"), ylabel=T("dimension (2i, 2i+1)", "维度（2i, 2i+1）"),
               title=T("Sinusoidal positional encoding, d = 64", "正弦位置编码，d = 64"))
        fig.colorbar(im, ax=ax)
        plt.show()
        """
    ),
    md(
        en=r"""
        **A shift of position is a rotation.** By the angle-addition formulas,
        $\sin(\omega(p+k))=\sin(\omega p)\cos(\omega k)+\cos(\omega p)\sin(\omega k)$ and
        $\cos(\omega(p+k))=\cos(\omega p)\cos(\omega k)-\sin(\omega p)\sin(\omega k)$. So for each pair,

        $$
        \begin{pmatrix}\mathrm{PE}(p+k,2i)\\ \mathrm{PE}(p+k,2i+1)\end{pmatrix}
        =\begin{pmatrix}\cos\omega_i k & \sin\omega_i k\\ -\sin\omega_i k & \cos\omega_i k\end{pmatrix}
        \begin{pmatrix}\mathrm{PE}(p,2i)\\ \mathrm{PE}(p,2i+1)\end{pmatrix},
        $$

        i.e. $\mathrm{PE}(p+k)=M_k\,\mathrm{PE}(p)$ with a block-diagonal rotation $M_k$ that depends on the
        **offset** $k$ only, not on $p$. A linear layer can therefore learn to "look $k$ positions back" in
        the same way everywhere. It also makes $\mathrm{PE}(p)\cdot\mathrm{PE}(p+k)=\sum_i\cos(\omega_i k)$ a
        function of $k$ alone. Checked for every position at once:
        """,
        zh=r"""
        **位置的平移就是一个旋转。** 由和角公式，$\sin(\omega(p+k))=\sin(\omega p)\cos(\omega k)+\cos(\omega p)\sin(\omega k)$，
        $\cos(\omega(p+k))=\cos(\omega p)\cos(\omega k)-\sin(\omega p)\sin(\omega k)$。因此对每一对维度，

        $$
        \begin{pmatrix}\mathrm{PE}(p+k,2i)\\ \mathrm{PE}(p+k,2i+1)\end{pmatrix}
        =\begin{pmatrix}\cos\omega_i k & \sin\omega_i k\\ -\sin\omega_i k & \cos\omega_i k\end{pmatrix}
        \begin{pmatrix}\mathrm{PE}(p,2i)\\ \mathrm{PE}(p,2i+1)\end{pmatrix},
        $$

        即 $\mathrm{PE}(p+k)=M_k\,\mathrm{PE}(p)$，其中分块对角的旋转矩阵 $M_k$ 只依赖于**偏移量** $k$，与 $p$ 无关。
        因此，一个线性层可以学会在任何位置以同样的方式“回看 $k$ 个位置”。这也使得 $\mathrm{PE}(p)\cdot\mathrm{PE}(p+k)=\sum_i\cos(\omega_i k)$
        只是 $k$ 的函数。下面对所有位置一次性验证：
        """,
    ),
    code(
        """
        for k in (1, 7, 50):
            M = gpt.offset_matrix(k, d_pe)
            err = (pe[k:] - pe[:-k] @ M.T).abs().max()
            orth = (M @ M.T - torch.eye(d_pe)).abs().max()
            dots = (pe[k:] * pe[:-k]).sum(1)
            print(f"k={k:>2}: max|PE(p+k) − M_k PE(p)| < 1e-6 ({T('all p', '所有 p')}): {bool(err < 1e-6)},  "
                  f"max|M_k M_kᵀ − I| < 1e-6: {bool(orth < 1e-6)},  PE(p)·PE(p+k) ∈ [{float(dots.min()):.3f}, {float(dots.max()):.3f}]")
        """
    ),
    md(
        en=r"""
        The error is at the level of float32 rounding for every position, $M_k$ is orthogonal (a rotation),
        and the dot product between positions $k$ apart is the same number wherever they are.

        **Learned positions.** GPT {cite:p}`radford2018gpt,radford2019gpt2` does not use the sinusoids: it
        learns a table $P\in\mathbb R^{T\times d}$ of position vectors, like a second embedding, and adds row
        $p$ to the token vector at position $p$. That is what our model does (`positions="learned"`;
        `positions="sinusoidal"` is the alternative). Both are *absolute* encodings. **Relative** methods
        instead build the **offset between positions** $t-s$ into the attention score itself: Shaw et al.
        learn a vector for each clipped offset and add it to the keys {cite:p}`shaw2018relative`; RoPE rotates
        queries and keys by angles proportional to their positions, so that $q_t\cdot k_s$ depends on the positions only through $t-s$ (and, of course, on the two tokens' content)
        {cite:p}`su2021roformer` — the rotation property above, applied inside attention.

        ## 8 · The decoder-only block, and the parameter count

        A GPT block, in the **pre-LayerNorm** arrangement of GPT-2 {cite:p}`radford2019gpt2,xiong2020prelayernorm`,
        applies layer normalisation {cite:p}`ba2016layernorm` *before* each sub-layer and adds a residual
        connection {cite:p}`he2016resnet` around it:

        $$
        h = x + \mathrm{MultiHead}_{\text{causal}}(\mathrm{LN}_1(x)),\qquad
        y = h + \mathrm{MLP}(\mathrm{LN}_2(h)),\qquad \mathrm{MLP}(u)=W_2\,\mathrm{GELU}(W_1u+b_1)+b_2 .
        $$

        The whole model: token embedding + position embedding → $L$ blocks → a final LayerNorm → logits
        $=$ the final vectors times $E^\top$ (the output layer *shares* the token embedding matrix). There is
        no encoder and no cross-attention.

        **Counting.** Per block, attention has $W^Q,W^K,W^V,W^O\in\mathbb R^{d\times d}$: $4d^2$; the MLP has
        $W_1\in\mathbb R^{d\times 4d}$ and $W_2\in\mathbb R^{4d\times d}$: $8d^2$. So the weight matrices of
        $L$ blocks hold exactly $12Ld^2$ parameters. The rest: biases ($9d$ per block), LayerNorms ($2d$ each,
        two per block plus the final one), the token embedding $Vd$ and the position table $Td$.
        """,
        zh=r"""
        对所有位置，误差都在 float32 舍入误差的量级；$M_k$ 是正交矩阵（一个旋转）；相距 $k$ 的两个位置的点积，无论它们在哪里，都是同一个数。

        **可学习的位置编码。** GPT {cite:p}`zh-radford2018gpt,zh-radford2019gpt2` 并不使用正弦编码：它像第二张嵌入表那样，
        学习一张位置向量表 $P\in\mathbb R^{T\times d}$，把第 $p$ 行加到位置 $p$ 的词元向量上。我们的模型也是这样做的
        （`positions="learned"`；另一个选项是 `positions="sinusoidal"`）。两者都是*绝对*位置编码。**相对**位置方法则把
        **位置之间的偏移量** $t-s$ 直接放进注意力分数：Shaw 等人为每个（截断后的）偏移量学习一个向量，加到键上
        {cite:p}`zh-shaw2018relative`；RoPE 按与位置成正比的角度旋转查询和键，使 $q_t\cdot k_s$ 中的位置只以偏移量 $t-s$ 的形式出现（分数当然还取决于两个词元的内容）
        {cite:p}`zh-su2021roformer`——这正是上面的旋转性质在注意力内部的应用。

        ## 8 · 仅解码器的模块与参数量

        GPT 的模块采用 GPT-2 的**前置层归一化**（pre-LN）结构 {cite:p}`zh-radford2019gpt2,zh-xiong2020prelayernorm`：
        在每个子层*之前*做层归一化 {cite:p}`zh-ba2016layernorm`，并在子层外面加一条残差连接 {cite:p}`zh-he2016resnet`：

        $$
        h = x + \mathrm{MultiHead}_{\text{因果}}(\mathrm{LN}_1(x)),\qquad
        y = h + \mathrm{MLP}(\mathrm{LN}_2(h)),\qquad \mathrm{MLP}(u)=W_2\,\mathrm{GELU}(W_1u+b_1)+b_2 .
        $$

        整个模型是：词元嵌入 + 位置嵌入 → $L$ 个模块 → 最后一个层归一化 → logits $=$ 最终向量乘以 $E^\top$（输出层与词元嵌入*共享*同一个矩阵）。
        没有编码器，也没有交叉注意力。

        **数参数。** 每个模块中，注意力有 $W^Q,W^K,W^V,W^O\in\mathbb R^{d\times d}$，共 $4d^2$；MLP 有 $W_1\in\mathbb R^{d\times 4d}$
        和 $W_2\in\mathbb R^{4d\times d}$，共 $8d^2$。所以 $L$ 个模块的权重矩阵恰好有 $12Ld^2$ 个参数。其余部分是：
        偏置（每个模块 $9d$）、层归一化（每个 $2d$，每个模块两个，外加最后一个）、词元嵌入 $Vd$ 和位置表 $Td$。
        """,
    ),
    code(
        """
        cfg = card["config"]
        L, d, V, T_ctx = cfg["n_layer"], cfg["d_model"], cfg["vocab_size"], cfg["block_size"]
        parts = gpt.parameter_breakdown(model)
        print(T("model:", "模型："), cfg)
        print(T("module types:", "模块类型："), sorted({type(m).__name__ for m in model.modules()}))
        shown = {"block weight matrices": T("block weight matrices", "模块权重矩阵"), "block biases": T("block biases", "模块偏置"),
                 "LayerNorms": T("LayerNorms", "层归一化"), "token embedding": T("token embedding", "词元嵌入"),
                 "position embedding": T("position embedding", "位置嵌入"), "total": T("total", "合计")}
        for name, n in parts.items():
            print(T(f"  {pad(shown[name], 22)}: {n:>9,}", f"  {pad(shown[name], 6)}：{n:>9,}"))
        print(T("12·L·d² =", "12·L·d² ="), f"{12 * L * d * d:,}", T("= block weight matrices:", "= 模块权重矩阵："), 12 * L * d * d == parts["block weight matrices"])
        print(T("biases 9dL, LayerNorms 2d(2L+1), embeddings Vd + Td:", "偏置 9dL、层归一化 2d(2L+1)、嵌入 Vd + Td："),
              parts["block biases"] == 9 * d * L, parts["LayerNorms"] == 2 * d * (2 * L + 1), parts["token embedding"] + parts["position embedding"] == V * d + T_ctx * d)
        total_ok = parts["total"] == sum(p.numel() for p in model.parameters())
        print(T(f"total = sum(p.numel()): {total_ok}; 12Ld² is {12 * L * d * d / parts['total']:.0%} of it",
                f"总数 = sum(p.numel())：{total_ok}；12Ld² 占其中的 {12 * L * d * d / parts['total']:.0%}"))
        """
    ),
    md(
        en=r"""
        In this small character model the embeddings are a sizeable share (a Chinese vocabulary is large);
        in a big GPT, $12Ld^2$ dominates — GPT-2's largest model, with $L=48$ and $d=1600$, has
        $12\cdot 48\cdot 1600^2\approx 1.47$ billion parameters in its blocks, most of its 1.5 billion.

        ## 9 · Training on the book

        Training minimises the cross-entropy of every next character in random windows of the training text:
        a window $x_1\dots x_{T+1}$ gives $T$ predictions at once, thanks to the causal mask.
        `course_lib.models.gpt.train_gpt` keeps the token tensor on the device, draws windows by index, uses AdamW
        with a warm-up and a cosine decay of the learning rate, and bf16 autocast on a GPU. First a **live
        demonstration** with a very small GPT (2 blocks, $d=64$) for 100 steps, a few seconds on a CPU:
        """,
        zh=r"""
        在这个小小的字符级模型里，嵌入占了相当大的比例（中文词表很大）；而在大型 GPT 中，$12Ld^2$ 占绝对主导——
        GPT-2 最大的模型 $L=48$、$d=1600$，其模块中有 $12\cdot 48\cdot 1600^2\approx 14.7$ 亿个参数，占其 15 亿参数的绝大部分。

        ## 9 · 用本书训练

        训练就是在训练文本的随机窗口上，最小化每一个“下一个字符”的交叉熵：有了因果掩码，一个窗口 $x_1\dots x_{T+1}$ 一次就给出 $T$ 个预测。
        `course_lib.models.gpt.train_gpt` 把词元张量放在设备上，按索引抽取窗口，使用带预热和余弦衰减学习率的 AdamW，在 GPU 上使用 bf16 自动混合精度。
        先来一个**现场演示**：一个非常小的 GPT（2 个模块，$d=64$），训练 100 步，在 CPU 上只需几秒钟：
        """,
    ),
    code(
        """
        torch.manual_seed(0)
        # en: made and trained in float64: the model is tiny, and its printed bits/char are then the same on every
        # en: CPU (PyTorch draws float32 normal numbers with vector code that other CPUs round differently)
        # zh: 在 float64 下创建和训练：模型很小，这样打印出的每字符比特数在任何 CPU 上都相同
        # zh: （PyTorch 抽取 float32 正态随机数用的是向量化代码，换一种 CPU 舍入就会不同）
        torch.set_default_dtype(torch.float64)
        small = gpt.GPT(tok.vocab_size, block_size=64, n_layer=2, d_model=64, n_head=4).double()
        torch.set_default_dtype(torch.float32)
        before = gpt.bits_per_char(small, val_ids)
        hist_small = gpt.train_gpt(small, train_ids, val_ids, steps=100, batch_size=16, lr=3e-3, warmup=10,
                                   eval_every=50, device="cpu", seed=0)
        print(T(f"untrained: {round(before, 2)} bits/char   (log2 V = {round(math.log2(tok.vocab_size), 2)} )",
          f"未训练：每字符 {round(before, 2)} 比特（log2 V = {round(math.log2(tok.vocab_size), 2)}）"))
        for s, tr, va in ((r["step"], r["train_bpc"], r["val_bpc"]) for r in hist_small):
            print(T(f"step {s}: training {tr:.2f}, validation {va:.2f} bits/char", f"第 {s} 步：每字符比特数，训练 {tr:.2f}，验证 {va:.2f}"))
        """
    ),
    md(
        en=r"""
        A hundred steps get the small model away from uniform guessing, but not yet to the bigram. The model
        this chapter uses was trained longer, from the command line, which writes the checkpoint and a
        **model card** (a JSON file: configuration, data, the exact command, metrics, training history):

        ```bash
        python -m course_lib train gpt --help      # every option
        ```

        The next cell prints the command recorded in the card of the shipped checkpoint; run it (on a GPU add
        `--device cuda`, or more steps) to reproduce or improve the model. Then we evaluate the loaded model on
        the validation text, here and now, and put it next to the baselines.
        """,
        zh=r"""
        一百步让这个小模型摆脱了均匀随机猜测，但还没有追上二元模型。本章使用的模型在命令行里训练得更久；命令行会写出检查点和一份
        **模型卡**（一个 JSON 文件：配置、数据、确切的命令、指标、训练历史）：

        ```bash
        python -m course_lib train gpt --help      # 列出全部选项
        ```

        随包附带的检查点有一张模型卡，下一个单元格打印其中记录的命令；运行它（有 GPU 时加 `--device cuda`，或增加步数）即可复现或改进这个模型。
        随后我们当场在验证文本上评估加载的模型，并与基线放在一起比较。
        """,
    ),
    code(
        """
        print(T("command:", "命令："), card["command"])
        print(T("trained for", "训练"), card["steps"], T("steps on", "步，设备："), course_lib.localise(card["device"], T("en", "zh")), T("| parameters:", "| 参数量："), f"{card['parameters']:,}",
              T("| weights stored as", "| 权重存储为"), card.get("weights_dtype", "float32"), T("| best step:", "| 最佳步数："), card["metrics"]["best_step"])
        gpt_bpc = gpt.bits_per_char(model, val_ids)
        print(T(f"validation bits/char, now: {round(gpt_bpc, 3)} (model card: {card['metrics']['val_bits_per_char']} )",
                f"验证集每字符比特数（当场计算）：{round(gpt_bpc, 3)}（模型卡：{card['metrics']['val_bits_per_char']}）"))

        table = {**baselines, T("tiny GPT, 100 live steps", "微型 GPT，现场 100 步"): hist_small[-1]["val_bpc"], T("GPT (checkpoint)", "GPT（检查点）"): gpt_bpc}
        for name, h in table.items():
            print(T(f"{pad(name, 26)}: {h:6.2f} bits/char   perplexity {2 ** h:8.1f}", f"{pad(name, 13)}：每字符 {h:6.2f} 比特，困惑度 {2 ** h:8.1f}"))
        gain = round(baselines[T("bigram", "二元模型")] - gpt_bpc, 3)
        print(T(f"GPT beats the bigram baseline by {gain} bits/char", f"GPT 的每字符比特数比二元模型基线低 {gain}"))
        """
    ),
    code(
        """
        # en: the card's history: one record per evaluation
        # zh: 卡片中的训练记录：每次评估一条
        hist = card["history"]
        steps = [r["step"] for r in hist]
        fig, ax = plt.subplots(figsize=(7, 3.6))
        ax.plot(steps, [r["train_bpc"] for r in hist], "o-", ms=3, label=T("training (running mean)", "训练（滑动平均）"))
        ax.plot(steps, [r["val_bpc"] for r in hist], "s-", ms=3, label=T("validation", "验证"))
        for (name, h), color in zip(list(baselines.items())[1:], ("tab:gray", "tab:red")):
            ax.axhline(h, ls="--", color=color, label=name)
        ax.set(xlabel=T("training step", "训练步数"), ylabel=T("bits per character", "每字符比特数"), ylim=(1, 8),
               title=T("The shipped GPT: learning curve and baselines", "随包附带的 GPT：学习曲线与基线"))
        ax.legend(fontsize=8)
        plt.show()
        """
    ),
    md(
        en=r"""
        The validation curve is below the unigram line from the first evaluation and crosses the bigram line
        a few hundred steps in: the model has learned to use more than one character of context. It is still
        falling at the last step, so a longer run (more `--steps`, easily afforded on a GPU) would go further.
        The command line keeps the weights of the best validation evaluation (early stopping); here that is the
        last one, as the cell above prints. The training curve is a running mean taken with dropout switched
        on, so it is not exactly comparable with the validation curve.

        ## 10 · Generating text

        To generate, feed a prompt, turn the logits at the last position into a distribution, draw a
        character, append it, and repeat (only the last $T$ characters fit in the window). **Greedy**
        decoding always takes the most probable character; it is deterministic and tends to loop.
        """,
        zh=r"""
        验证曲线从第一次评估起就在一元模型那条线之下，训练几百步后又越过了二元模型那条线：模型学会了利用不止一个字符的上下文。
        到最后一步时曲线仍在下降，所以训练得更久（增加 `--steps`，在 GPU 上轻而易举）还能更进一步。命令行保留验证结果最好的那次评估的权重（早停）；
        这里恰好是最后一次，上面的单元格打印了这一点。训练曲线是开着 dropout 时的滑动平均，因此与验证曲线并不完全可比。

        ## 10 · 生成文本

        生成的过程是：输入一段提示，把最后一个位置的 logits 变成概率分布，抽取一个字符，接到后面，如此反复（窗口里只放得下最后 $T$ 个字符）。
        **贪心**解码每次都取概率最大的字符；它是确定性的，而且容易陷入循环。
        """,
    ),
    code(
        """
        def complete(prompt, n=120, seed=0, **kw):
            g = torch.Generator().manual_seed(seed)
            out = gpt.generate(model, tok.encode_tensor(prompt)[None], n, generator=g, **kw)
            return tok.decode(out[0])

        for prompt in ("The attention ", "注意力"):
            print(T("greedy  |", "贪心    |"), repr(complete(prompt, temperature=0)))
        print()
        for prompt in ("The attention ", "注意力"):
            print(T("T=0.8, top-p 0.9 |", "T=0.8，top-p 0.9 |"), repr(complete(prompt, temperature=0.8, top_p=0.9)))
        """
    ),
    md(
        en=r"""
        The model writes in the style of this book — words, markdown, formulas, sometimes in both languages —
        with the local fluency of a million parameters and none of the global sense. Greedy decoding soon
        repeats itself — the same few words, or one symbol, over and over; sampling avoids the repetition at the
        price of more nonsense.
        What a generative model reproduces of its training data (memorisation) is measured in [chapter 6](06_responsible_generation.ipynb).

        ## 11 · Sampling: temperature, top-k, top-p

        Given the logits $z$ of the next character, the sampling rules reshape the distribution before drawing:

        * **temperature** $\tau$: $p_i\propto\exp(z_i/\tau)$. $\tau<1$ sharpens (as $\tau\to 0$: greedy),
          $\tau>1$ flattens (as $\tau\to\infty$: uniform);
        * **top-k**: keep the $k$ most probable characters, renormalise;
        * **top-p** (nucleus) sampling {cite:p}`holtzman2020nucleus`: keep the smallest set of most probable
          characters whose total probability reaches $p$, renormalise. Unlike top-k, the set adapts: small when
          the model is sure, large when it is not.

        The figure shows the next-character distribution after the prompt `"The causal m"` at three
        temperatures, with its entropy:
        """,
        zh=r"""
        模型写出的文字带着本书的风格——单词、markdown、公式，有时中英混杂——具备一百万个参数所能达到的局部流畅，却毫无整体意义。
        贪心解码写不了多少字符就开始重复自己——几个相同的词或同一个符号反复出现；随机采样避免了重复，代价是胡言乱语更多。生成模型会复现多少训练数据（记忆现象），[第 6 章](06_responsible_generation.ipynb)再来测量。

        ## 11 · 采样：温度、top-k、top-p

        给定下一个字符的 logits $z$，各种采样规则在抽取之前先改造这个分布：

        * **温度** $\tau$：$p_i\propto\exp(z_i/\tau)$。$\tau<1$ 使分布更尖锐（$\tau\to 0$ 时即贪心），$\tau>1$ 使分布更平坦（$\tau\to\infty$ 时趋于均匀）；
        * **top-k**：只保留概率最大的 $k$ 个字符，再重新归一化；
        * **top-p**（核）采样 {cite:p}`zh-holtzman2020nucleus`：保留总概率达到 $p$ 的最小的一组高概率字符，再重新归一化。
          与 top-k 不同，这组字符的多少会自适应：模型有把握时很少，没把握时很多。

        下图给出提示 `"The causal m"` 之后下一个字符的分布在三种温度下的样子，并标出其熵：
        """,
    ),
    code(
        """
        prompt = "The causal m"
        with torch.no_grad():
            logits = model(tok.encode_tensor(prompt)[None])[0][0, -1]

        def show_char(c):
            return {" ": "␣", "\\n": "⏎"}.get(c, c)

        def entropy_bits(p):
            p = p[p > 0]
            return float(-(p * p.log2()).sum())

        temps = [0.5, 1.0, 1.5]
        top = F.softmax(logits, -1).topk(12).indices
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
        for ax, t in zip(axes, temps):
            probs = gpt.filter_distribution(logits, temperature=t)
            ax.bar(range(12), probs[top].numpy())
            ax.set_xticks(range(12), [show_char(tok.chars[i]) for i in top])
            ax.set_title(T(f"T = {t}: entropy {entropy_bits(probs):.2f} bits", f"T = {t}：熵 {entropy_bits(probs):.2f} 比特"), fontsize=10)
        axes[0].set_ylabel(T("probability of the next character", "下一个字符的概率"))
        fig.suptitle(T(f"Next character after {prompt!r}: temperature reshapes the distribution", f"{prompt!r} 之后的下一个字符：温度改变分布的形状"))
        fig.tight_layout()
        plt.show()
        for t in [0.25, 0.5, 1.0, 1.5, 3.0]:
            print(f"T = {t:<4}: {T('entropy', '熵')} {entropy_bits(gpt.filter_distribution(logits, temperature=t)):.3f} {T('bits', '比特')}")
        """
    ),
    code(
        """
        probs = F.softmax(logits, -1)
        for p_nuc in (0.5, 0.9, 0.99):
            kept = gpt.filter_distribution(logits, top_p=p_nuc) > 0
            print(T(f"top-p {p_nuc}: keeps {int(kept.sum())} characters holding {float(probs[kept].sum()):.3f} of the probability",
                    f"top-p {p_nuc}：保留 {int(kept.sum())} 个字符，共占概率 {float(probs[kept].sum()):.3f}"))
        kept = gpt.filter_distribution(logits, top_k=5) > 0
        print(T(f"top-k 5: keeps 5 characters holding {float(probs[kept].sum()):.3f}", f"top-k 5：保留 5 个字符，共占概率 {float(probs[kept].sum()):.3f}"))
        for context in ("The causal m", "Transforme", "注意"):
            with torch.no_grad():
                lg = model(tok.encode_tensor(context)[None])[0][0, -1]
            print(T(f"after {context!r}: largest probability {float(F.softmax(lg, -1).max()):.3f}, top-p 0.9 keeps {int((gpt.filter_distribution(lg, top_p=0.9) > 0).sum())} character(s)",
                    f"在 {context!r} 之后：最大概率 {float(F.softmax(lg, -1).max()):.3f}，top-p 0.9 保留 {int((gpt.filter_distribution(lg, top_p=0.9) > 0).sum())} 个字符"))
        """
    ),
    md(
        en=r"""
        Top-k keeps the same number of characters in every context; the nucleus of top-p adapts to the shape
        of the whole distribution — a handful of characters after one context, far more after another (the
        cell above prints the counts).

        **Try it.** In JupyterLab the control below is live: move the sliders and watch the filtered
        distribution and a sampled continuation change. (In the rendered book it shows its starting position;
        the figure above is the static version.)
        """,
        zh=r"""
        无论上下文如何，top-k 保留的字符个数都相同；而 top-p 的核随整个分布的形状自适应变化——在一种上下文之后只有寥寥几个字符，
        在另一种上下文之后则多得多（上面的单元格打印了具体个数）。

        **动手试试。** 在 JupyterLab 中，下面的控件是可以交互的：拖动滑块，观察过滤后的分布和采样得到的续写如何变化。
        （在网页版的书中它只显示初始状态；上面的图是它的静态版本。）
        """,
    ),
    code(
        """
        from course_lib.plotting import slider_figure


        def explore_figure(temperature, top_k, top_p):
            probs = gpt.filter_distribution(logits, temperature=temperature, top_k=top_k, top_p=top_p)
            order = probs.topk(12).indices
            fig, ax = plt.subplots(figsize=(6.4, 2.8))
            ax.bar(range(12), probs[order].numpy())
            ax.set_xticks(range(12), [show_char(tok.chars[i]) for i in order])
            ax.set_ylim(0, 1)
            ax.set_title(T(f"{int((probs > 0).sum())} characters possible, entropy {entropy_bits(probs):.2f} bits",
                           f"可选字符 {int((probs > 0).sum())} 个，熵 {entropy_bits(probs):.2f} 比特"), fontsize=10)
            sample = complete(prompt, n=50, temperature=temperature, top_k=top_k, top_p=top_p)
            ax.set_xlabel(T("sample: ", "采样：") + repr(sample), fontsize=8)
            fig.tight_layout()
            return fig


        # en: slider_figure redraws the figure whenever a slider moves (live in JupyterLab)
        # zh: 每当滑块移动，slider_figure 就重新绘图（在 JupyterLab 中实时生效）
        temperature_slider = widgets.FloatSlider(value=1.0, min=0.05, max=3.0, step=0.05, description=T("temperature", "温度"), continuous_update=False)
        top_k_slider = widgets.IntSlider(value=40, min=1, max=tok.vocab_size, description="top-k", continuous_update=False)
        top_p_slider = widgets.FloatSlider(value=1.0, min=0.05, max=1.0, step=0.05, description="top-p", continuous_update=False)
        slider_figure(explore_figure, temperature_slider, top_k_slider, top_p_slider)
        """
    ),
    md(
        en=r"""
        ## Summary

        * A GPT models $p(x_1,\dots,x_N)=\prod_t p(x_t\mid x_{<t})$ exactly; it is trained by minimising the
          cross-entropy (bits per character), and perplexity is $2^{H}$.
        * Attention is $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$; the $\sqrt{d_k}$ keeps the scores' variance at 1
          and the softmax out of saturation.
        * The causal mask makes position $t$ depend on positions $\le t$ only — checked to the last bit.
        * Sinusoidal positions turn an offset $k$ into a fixed rotation $M_k$; GPT learns its positions;
          relative methods (Shaw et al., RoPE) build the offset $t-s$ into attention.
        * A GPT is decoder-only: pre-LN blocks of causal multi-head self-attention and an MLP, about $12Ld^2$
          parameters plus embeddings.
        * Trained on this book, a million-parameter GPT beats the unigram and bigram baselines on held-out text.

        ## Exercises

        1. **Sinusoidal positions.** Train the live-demo model again with `positions="sinusoidal"` and compare
           the validation bits per character after 100 steps with the learned positions.
        2. **Perplexity.** The shipped GPT's validation perplexity per character is printed above. A word-level
           model of English reports a perplexity per *word*. If an English word is on average 5.5 characters
           plus a space, what per-word perplexity does a model with $H$ bits per character correspond to?
        3. **The mask, broken.** Remove the mask: call `gpt.attention(q, k, v)` without `causal=True` in a
           copy of the layer, and repeat the check of section 5. Which positions change now?
        4. **Top-p by hand.** For the distribution $(0.5, 0.3, 0.15, 0.05)$, which tokens does top-p keep for
           $p=0.8$ and for $p=0.81$? Check with `gpt.filter_distribution`.
        """,
        zh=r"""
        ## 小结

        * GPT 精确地建模 $p(x_1,\dots,x_N)=\prod_t p(x_t\mid x_{<t})$；训练目标是最小化交叉熵（以每字符比特数计），困惑度为 $2^{H}$。
        * 注意力是 $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$；除以 $\sqrt{d_k}$ 让分数的方差保持为 1，使 softmax 不致饱和。
        * 因果掩码使位置 $t$ 只依赖于位置 $\le t$——我们验证过，精确到最后一位。
        * 正弦位置编码把偏移量 $k$ 变成一个固定的旋转 $M_k$；GPT 使用可学习的位置向量；相对位置方法（Shaw 等人、RoPE）把偏移量 $t-s$ 放进注意力之中。
        * GPT 是仅解码器的结构：由因果多头自注意力和 MLP 组成的前置层归一化模块，参数约为 $12Ld^2$ 再加上嵌入。
        * 用本书训练的百万参数 GPT，在留出文本上胜过一元和二元基线。

        ## 练习

        1. **正弦位置编码。** 用 `positions="sinusoidal"` 重新训练现场演示的小模型，把 100 步后的验证集每字符比特数与可学习位置编码的结果比较。
        2. **困惑度。** 上文打印了随包附带的 GPT 在验证集上的每字符困惑度。英文的词级模型报告的是每*词*困惑度。
           如果一个英文单词平均有 5.5 个字母，外加一个空格，那么每字符 $H$ 比特的模型相当于多大的每词困惑度？
        3. **去掉掩码。** 在这一层的副本中调用 `gpt.attention(q, k, v)` 而不加 `causal=True`，重做第 5 节的检验。现在哪些位置的输出变了？
        4. **手算 top-p。** 对分布 $(0.5, 0.3, 0.15, 0.05)$，当 $p=0.8$ 和 $p=0.81$ 时，top-p 各保留哪些词元？用 `gpt.filter_distribution` 验证。
        """,
    ),
    code(
        """
        # en: Self-checks: solve an exercise in a cell of your own, then run check(n) on it (right, close or wrong, with a hint).
        # zh: 自测：在自己的单元格里做完练习 n，再运行 check(n)（它会给出“正确”“接近”或“还不对”的判断，并附上提示）。
        from course_lib.exercises import self_checks

        check = self_checks(4, globals(), lang=T("en", "zh"))
        check()
        """
    ),
    solution(
        1,
        en="",
        zh="",
        code=r"""
        torch.manual_seed(0)
        sin_model = gpt.GPT(tok.vocab_size, block_size=64, n_layer=2, d_model=64, n_head=4, positions="sinusoidal")
        h = gpt.train_gpt(sin_model, train_ids, val_ids, steps=100, batch_size=16, lr=3e-3, warmup=10,
                          eval_every=50, device="cpu", seed=0)
        print(h[-1]["val_bpc"], hist_small[-1]["val_bpc"])
        """,
        grade=r"""
        # en: The tests read `sin_model` (the live-demo model with sinusoidal positions) and `h`, its training history.
        # zh: 测试读取 `sin_model`（使用正弦位置编码的现场演示模型）和 `h`（它的训练记录）。
        ### BEGIN HIDDEN TESTS
        pe = sin_model.position_table().detach().double().cpu()
        n_pos, d = pe.shape
        p_ = torch.arange(n_pos, dtype=torch.float64)[:, None]
        angle = p_ / 10000 ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
        # en: PE(p, 2i) = sin(p / 10000^(2i/d)), PE(p, 2i+1) = cos(p / 10000^(2i/d))
        # zh: PE(p, 2i) = sin(p / 10000^(2i/d))，PE(p, 2i+1) = cos(p / 10000^(2i/d))
        assert torch.allclose(pe[:, 0::2], angle.sin(), atol=1e-5) and torch.allclose(pe[:, 1::2], angle.cos(), atol=1e-5), T(
            "the model's positions are not the sinusoidal encoding", "模型的位置编码不是正弦位置编码")
        assert h[-1]["step"] == hist_small[-1]["step"] == 100, T("train for the same 100 steps as the live demo",
                                                                "与现场演示一样训练 100 步")
        assert h[-1]["val_bpc"] < math.log2(tok.vocab_size) - 1, T("the model learned nothing", "模型什么也没学到")
        assert abs(h[-1]["val_bpc"] - hist_small[-1]["val_bpc"]) < 1.0, T(
            "not the live demo's model and budget: the two runs are far apart", "与现场演示的模型和训练量不同：两次结果相差太远")
        ### END HIDDEN TESTS
        """,
        written=1,
        en_after=r"""
        Compare the two numbers. The learned table starts near zero and must be learned from the data; the
        sinusoids give every position a distinct code from the first step, but a fixed one.
        """,
        zh_after=r"""
        比较这两个数。可学习的位置表从接近零的值开始，必须从数据中学出来；正弦编码从第一步起就给每个位置一个互不相同的编码，但它是固定不变的。
        """,
    ),
    solution(
        2,
        en=r"""
        A word plus its space is about 6.5 characters, so the word costs about $6.5H$ bits and the per-word
        perplexity is $2^{6.5H}$. For example, $H=2$ bits per character corresponds to a per-word perplexity
        of $2^{13}\approx 8{,}200$. Perplexities are only comparable with the same tokens.
        """,
        zh=r"""
        一个单词加上空格约 6.5 个字符，所以一个词约需 $6.5H$ 比特，每词困惑度为 $2^{6.5H}$。例如每字符 $H=2$ 比特相当于每词困惑度
        $2^{13}\approx 8{,}200$。只有在词元相同的情况下，困惑度才能相互比较。
        """,
        code=r"""
        word_ppl = 2 ** (6.5 * gpt_bpc)
        print(round(word_ppl))
        """,
    ),
    solution(
        3,
        en=r"""
        Without the mask every output depends on every input, so positions before the change move too:
        """,
        zh=r"""
        没有掩码时，每个输出都依赖于所有输入，因此换字之前的位置也会变化：
        """,
        code=r"""
        with torch.no_grad():
            qa, ka, va = mha.split_heads(model.blocks[0].ln1(x))
            xb = model.tok_emb(ids_b) + model.position_table()[: ids_b.shape[1]]
            qb, kb, vb = mha.split_heads(model.blocks[0].ln1(xb))
            # en: no causal mask
            # zh: 不加因果掩码
            ya, _ = gpt.attention(qa, ka, va)
            yb, _ = gpt.attention(qb, kb, vb)
        # en: non-zero before the change
        # zh: 换字之前的位置也不为零
        print((ya - yb).abs().amax(dim=(0, 1, 3))[:pos])
        """,
        grade=r"""
        # en: The tests read `ya` and `yb`: the first layer's attention outputs, without the mask, for the two sentences.
        # zh: 测试读取 `ya` 和 `yb`：去掉掩码后，第一层注意力对两个句子的输出。
        ### BEGIN HIDDEN TESTS
        with torch.no_grad():
            q_, k_, v_ = mha.split_heads(model.blocks[0].ln1(x))
            w_ = torch.softmax(q_ @ k_.transpose(-2, -1) / math.sqrt(q_.shape[-1]), dim=-1)
        assert torch.allclose(ya, w_ @ v_, atol=1e-5), T("`ya` is not attention over every position (is the mask still on?)",
                                                        "`ya` 不是对所有位置的注意力（掩码还在吗？）")
        moved = (ya - yb).abs().amax(dim=(0, 1, 3))
        assert float(moved[:pos].min()) > 1e-6, T("without the mask every position before the change must move",
                                                  "去掉掩码后，改动之前的每个位置都应当变化")
        ### END HIDDEN TESTS
        """,
        written=1,
    ),
    solution(
        4,
        en=r"""
        Sorted probabilities $0.5, 0.3, 0.15, 0.05$ have running sums $0.5, 0.8, 0.95, 1$. For $p=0.8$ the
        first two tokens already reach $0.8$: two tokens kept, renormalised to $(0.625, 0.375)$. For $p=0.81$
        the third token is needed: three tokens kept.
        """,
        zh=r"""
        把概率从大到小排成 $0.5, 0.3, 0.15, 0.05$，累积和为 $0.5, 0.8, 0.95, 1$。$p=0.8$ 时前两个词元已经达到 $0.8$：保留两个，
        重新归一化为 $(0.625, 0.375)$。$p=0.81$ 时还需要第三个词元：保留三个。
        """,
        code=r"""
        logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
        keep_80 = int((gpt.filter_distribution(logits, top_p=0.8) > 0).sum())
        keep_81 = int((gpt.filter_distribution(logits, top_p=0.81) > 0).sum())
        gpt.filter_distribution(logits, top_p=0.8)
        """,
        grade=r"""
        # en: The tests read the value your cell ends with: the distribution top-p keeps for p = 0.8.
        # zh: 测试读取你的单元格最后的值：p = 0.8 时 top-p 保留下来的分布。
        ### BEGIN HIDDEN TESTS
        # en: IPython's output history (the chapter uses `_` as a name of its own)
        # zh: IPython 的输出记录（本章把 `_` 用作普通变量名）
        assert Out, T("your cell must end with the filtered distribution", "你的单元格应当以过滤后的分布结尾")
        kept = torch.as_tensor(Out[max(Out)]).double().reshape(-1)
        # en: running sums 0.5, 0.8, ...: the first two tokens reach 0.8, renormalised
        # zh: 累计和为 0.5, 0.8, ……：前两个词元已达到 0.8，再重新归一化
        assert torch.allclose(kept, torch.tensor([0.625, 0.375, 0.0, 0.0], dtype=torch.float64), atol=1e-6), T(
            f"top-p with p = 0.8 keeps the first two tokens, renormalised; got {kept.tolist()}",
            f"p = 0.8 的 top-p 保留前两个词元并重新归一化；得到的是 {kept.tolist()}")
        ### END HIDDEN TESTS
        """,
        written=1,
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
