using System.Globalization;

namespace Multinoulli.Cli.Explain;

/// <summary>One section of the report: the claim, the reader's question, the answer, and the measured sentence.</summary>
public sealed record Section(string Key, Func<Measured> Run, Text Title, Text Claim, Text Question, Text Answer, Func<IReadOnlyDictionary<string, double>, Text> Measurement);

/// <summary>A sentence in English and in Chinese.</summary>
public sealed record Text(string En, string Zh)
{
    public string In(string language) => language == "zh" ? Zh : En;
}

/// <summary>The ten sections, in the order of the textbook section (Deep Learning §6.2.2.3), in our own words.</summary>
public static class Sections
{
    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    public static IReadOnlyList<Section> All { get; } =
    [
        new("exponentiate", Experiments.ExponentiateAndNormalise,
            new("Exponentiate, then normalise", "先指数化，再归一化"),
            new("softmax(z)ᵢ = exp(zᵢ) / Σⱼ exp(zⱼ): exp makes every logit positive, the division makes them sum to 1. Computed literally, exp overflows long before the logits are unusual; subtracting the largest logit first gives the same numbers without overflow.",
                "softmax(z)ᵢ = exp(zᵢ) / Σⱼ exp(zⱼ)：指数让每个 logit 变成正数，除以总和让它们加起来等于 1。照字面计算时，指数在 logit 还很普通的时候就会溢出；先减去最大的 logit，结果完全相同，却不会溢出。"),
            new("“How is it exponentiated?”", "“怎么进行指数化的？”"),
            new("Each logit zᵢ is passed through exp, one by one, and each result is divided by their sum. In practice one computes exp(zᵢ − max z): the largest term becomes exp(0) = 1, nothing can overflow, and the ratio is unchanged because the common factor exp(−max z) cancels.",
                "对每个 logit 分别取 exp，再把每个结果除以它们的和。实际计算时用 exp(zᵢ − max z)：最大的一项变成 exp(0) = 1，不会溢出；由于公共因子 exp(−max z) 在分子分母中约掉，比值不变。"),
            n => new($"Measured: float32 exp overflows above z = {F(n["floatOverflowLogit"], "F2")} (double: {F(n["doubleOverflowLogit"], "F2")}); the literal form returns NaN from z = {F(n["firstNaNInFloat"], "F0")} on, while the stable form gives {F(n["stableValue"], "F6")} for [z, z − 1] at every z and 0.5 0.5 0 for [1000, 1000, 2].",
                $"实测：float32 的 exp 在 z > {F(n["floatOverflowLogit"], "F2")} 时溢出（double 为 {F(n["doubleOverflowLogit"], "F2")}）；字面算法从 z = {F(n["firstNaNInFloat"], "F0")} 起返回 NaN，而稳定算法对 [z, z − 1] 在所有 z 下都给出 {F(n["stableValue"], "F6")}，对 [1000, 1000, 2] 给出 0.5 0.5 0。")),
        new("shift", Experiments.ShiftInvariance,
            new("Only the distance below the maximum matters", "只有与最大值的差距起作用"),
            new("Adding the same constant c to every logit multiplies every exp(zᵢ) by exp(c), which cancels in the ratio: softmax(z + c) = softmax(z). So the output depends only on how far each logit lies below the largest one.",
                "给所有 logit 加上同一个常数 c，每个 exp(zᵢ) 都乘上 exp(c)，在比值中约掉：softmax(z + c) = softmax(z)。所以输出只取决于每个 logit 比最大值低多少。"),
            new("“[softmax is driven by how far its arguments deviate from max zᵢ] — I did not get this.”", "“[softmax 函数由它的变量偏离 max zᵢ 的量来驱动] 没懂。”"),
            new("Write every logit as max z − dᵢ with dᵢ ≥ 0. Then softmax(z)ᵢ = exp(−dᵢ) / Σⱼ exp(−dⱼ): the maximum itself has disappeared, only the gaps dᵢ remain. A class at the maximum has dᵢ = 0; a class 10 below it weighs e⁻¹⁰ ≈ 4.5e-5 as much. In the figure, the same row shifted five ways falls on one curve of zᵢ − max z.",
                "把每个 logit 写成 max z − dᵢ（dᵢ ≥ 0），则 softmax(z)ᵢ = exp(−dᵢ) / Σⱼ exp(−dⱼ)：最大值本身消失了，只剩下差距 dᵢ。处于最大值的类 dᵢ = 0；比最大值低 10 的类权重只有 e⁻¹⁰ ≈ 4.5e-5 倍。图中同一行 logit 平移五种方式后，都落在以 zᵢ − max z 为横轴的同一条曲线上。"),
            n => new($"Measured: shifting an 8-class row by −1000 to +1000 changed no probability by more than {F(n["largestChange"], "0.0E+0")} (double precision).",
                $"实测：把一行 8 个类的 logit 平移 −1000 到 +1000，任何概率的变化都不超过 {F(n["largestChange"], "0.0E+0")}（双精度）。")),
        new("logsumexp", Experiments.LogSumExpNearMax,
            new("log Σ exp z is close to max z", "log Σ exp z 近似于 max z"),
            new("max z ≤ log Σⱼ exp(zⱼ) ≤ max z + log n, and the gap shrinks to 0 as the other logits fall behind.",
                "max z ≤ log Σⱼ exp(zⱼ) ≤ max z + log n，并且当其他 logit 落后越来越多时，差距趋于 0。"),
            new("“Why can it be approximated like this [by max z]?”", "“为什么可以这样近似。”"),
            new("The sum contains exp(max z), so it is at least that: the lower bound. Each of the n terms is at most exp(max z), so the sum is at most n·exp(max z): the upper bound, max z + log n. Terms well below the maximum add almost nothing, which is why the negative log-likelihood mostly punishes the most active wrong class.",
                "和里包含 exp(max z)，所以不小于它，这是下界；n 项中每一项都不超过 exp(max z)，所以和不超过 n·exp(max z)，即上界 max z + log n。远低于最大值的项几乎不贡献，所以负对数似然主要惩罚最活跃的错误类。"),
            n => new($"Measured for 10 logits 0, −s, …, −9s: the gap is {F(n["gapAtSpread0"], "F4")} = log 10 at s = 0 and {F(n["gapAtSpread10"], "0.00E+0")} at s = 10; every row stayed within the bounds.",
                $"实测（10 个 logit：0, −s, …, −9s）：s = 0 时差距为 {F(n["gapAtSpread0"], "F4")} = log 10，s = 10 时为 {F(n["gapAtSpread10"], "0.00E+0")}；所有行都在上下界之内。")),
        new("likelihood", Experiments.WhyLogLikelihood,
            new("Why the log-likelihood: the log undoes the exp", "为什么用对数似然：log 抵消了 exp"),
            new("log softmax(z)ᵢ = zᵢ − log Σⱼ exp(zⱼ). The first term is the logit itself, never saturating: when the model is confidently wrong, the gradient with respect to the correct logit stays near −1. Squared error on the probabilities goes through the saturated exp and its gradient vanishes.",
                "log softmax(z)ᵢ = zᵢ − log Σⱼ exp(zⱼ)。第一项就是 logit 本身，不会饱和：即使模型非常自信地犯错，对正确 logit 的梯度仍接近 −1。而对概率用平方误差时，要经过已经饱和的 exp，梯度随之消失。"),
            new("“What does it mean to define softmax in exponential form?”", "“什么叫把 softmax 定义成指数的形式？”"),
            new("It means the network outputs logarithms (the logits) and softmax turns them into probabilities with exp. The payoff comes when the loss takes a log: log and exp cancel, and the loss is linear in the correct logit, so a wrong answer always produces a strong push.",
                "意思是网络输出的是对数（logit），softmax 用 exp 把它们变成概率。好处在损失取对数时出现：log 和 exp 相互抵消，损失对正确 logit 是线性的，所以错误的预测总能产生强烈的修正信号。"),
            n => new($"Measured with the correct logit 10 behind: |∂/∂z| = {F(n["likelihoodGradientAt10"], "F5")} for the log-likelihood, {F(n["squaredGradientAt10"], "0.00E+0")} for squared error. From a start at logits ±12 the wrong way, 20 L-BFGS iterations bring P(correct) to {F(n["likelihoodCorrectAfter20"], "F4")} with the log-likelihood and leave it at {F(n["squaredCorrectAfter20"], "0.00E+0")} with squared error.",
                $"实测：正确 logit 落后 10 时，对数似然的 |∂/∂z| = {F(n["likelihoodGradientAt10"], "F5")}，平方误差只有 {F(n["squaredGradientAt10"], "0.00E+0")}。从 ±12 的错误起点出发，20 次 L-BFGS 迭代后，对数似然把正确类的概率提高到 {F(n["likelihoodCorrectAfter20"], "F4")}，平方误差仍停在 {F(n["squaredCorrectAfter20"], "0.00E+0")}。")),
        new("frequencies", Experiments.FrequencyMatching,
            new("Maximum likelihood predicts the observed frequencies", "最大似然预测观察到的频率"),
            new("With enough capacity and no penalty, the trained softmax predicts, for each distinct input, the fraction of training rows with that input that carry each class.",
                "只要模型能力足够且没有正则项，训练后的 softmax 对每个不同的输入，预测的正是训练集中具有该输入的样本里各类所占的比例。"),
            new("“This formula is impressive; it feels clear and fuzzy at once.”", "“这个式子有点厉害，感觉有点清楚又有点模糊。”"),
            new("Group the training rows by their input x. The log-likelihood of one group is Σᵢ countᵢ · log pᵢ, and among all distributions p the one that maximises it is pᵢ = countᵢ / total — the observed frequencies (this is Gibbs' inequality). A model that can give every input its own distribution therefore learns exactly those frequencies; a less flexible model can only approximate them.",
                "把训练样本按输入 x 分组。一组的对数似然是 Σᵢ countᵢ · log pᵢ，在所有分布 p 中使它最大的正是 pᵢ = countᵢ / total，即观察到的频率（吉布斯不等式）。所以能为每个输入给出独立分布的模型会恰好学到这些频率；能力有限的模型只能近似。"),
            n => new($"Measured on 4,000 rows with a one-hot input of 4 values and 3 classes: predicted and observed frequencies differ by at most {F(n["largestDifference"], "0.0E+0")}.",
                $"实测：4,000 个样本，输入为 4 个取值的 one-hot，3 个类，预测频率与观察频率之差不超过 {F(n["largestDifference"], "0.0E+0")}。")),
        new("saturation", Experiments.Saturation,
            new("Saturation and winner-take-all", "饱和与赢者通吃"),
            new("When one logit leads the others by a wide margin, or the temperature is low, its output saturates to 1 and the others to 0. The outputs always sum to 1, so one unit rising forces the others down: a competition like lateral inhibition between neighbouring neurons.",
                "当一个 logit 大幅领先其他 logit，或者温度很低时，它的输出饱和到 1，其他的饱和到 0。输出总和恒为 1，一个单元上升必然使其他单元下降：这种竞争类似皮层中相邻神经元之间的侧抑制。"),
            new("(The note: softmax as a competition between units, like lateral inhibition.)", "（笔记：softmax 是单元之间的竞争，类似侧抑制。）"),
            new("Saturation is harmless for the log-likelihood (section 4) but fatal for losses that do not undo the exp: once an output is pinned at 0 or 1, its gradient is essentially zero.",
                "饱和对对数似然无害（见第 4 节），但对不抵消 exp 的损失是致命的：输出一旦固定在 0 或 1，梯度基本为零。"),
            n => new($"Measured: for logits [0, 20, 10] the leader gets {F(n["topAtGap20"], "F6")}; for [1, 2, 3] at temperature 0.05 the largest gets {F(n["topAtTemperature0.05"], "F6")}.",
                $"实测：logit 为 [0, 20, 10] 时领先者得到 {F(n["topAtGap20"], "F6")}；[1, 2, 3] 在温度 0.05 下最大者得到 {F(n["topAtTemperature0.05"], "F6")}。")),
        new("reference", Experiments.FullVersusReference,
            new("n logits or n − 1: the over-parameterized and the restricted form", "n 个 logit 还是 n − 1 个：过参数化与受限形式"),
            new("Because only differences between logits matter, one logit can be fixed at 0 (a reference class) without losing any distribution: n − 1 learned columns describe the same family. The two forms reach the same distribution by different paths.",
                "因为只有 logit 之间的差值起作用，可以把一个 logit 固定为 0（参考类）而不损失任何分布：n − 1 列参数描述同一族分布。两种形式沿不同路径到达同一个分布。"),
            new("“Seeing this paragraph: is the restricted version used in practice?”", "“看到这一段，平时有用过限制的版本吗？”"),
            new("Yes, in two places: binary logistic regression is exactly the restricted form with two classes (σ(z) = softmax([0, z])₁), and statistics packages fit multinomial logit models against a baseline category. Deep-learning code usually keeps all n logits because it is simpler and the redundancy is harmless with a penalty or early stopping. Here both are available (Parameterization.Full / Reference).",
                "有，常见于两处：二分类逻辑回归正是两类的受限形式（σ(z) = softmax([0, z])₁）；统计软件拟合多项 logit 模型时也以一个基准类为参照。深度学习代码通常保留全部 n 个 logit，因为实现更简单，而且在有正则或提前停止时冗余无害。本项目两种都提供（Parameterization.Full / Reference）。"),
            n => new($"Measured on 2,000 rows, 6 features, 4 classes: the final objectives differ by {F(n["objectiveDifference"], "0.0E+0")} and the probabilities by at most {F(n["largestProbabilityDifference"], "0.0E+0")}; L-BFGS took {F(n["fullIterations"], "F0")} iterations (full) and {F(n["referenceIterations"], "F0")} (reference). With two classes, the reference model's weights equal those of a logistic regression fitted independently by Newton's method within {F(n["logisticWeightDifference"], "0.0E+0")}.",
                $"实测：2,000 个样本、6 个特征、4 个类，两种形式的最终目标值相差 {F(n["objectiveDifference"], "0.0E+0")}，概率最多相差 {F(n["largestProbabilityDifference"], "0.0E+0")}；L-BFGS 分别用了 {F(n["fullIterations"], "F0")} 次（完整）和 {F(n["referenceIterations"], "F0")} 次（参考类）迭代。两类时，参考类模型的权重与用牛顿法独立拟合的逻辑回归相差不超过 {F(n["logisticWeightDifference"], "0.0E+0")}。")),
        new("argmax", Experiments.SoftArgmax,
            new("softmax is a soft arg max; softmax(z)ᵀz is the soft max", "softmax 是软化的 argmax；softmax(z)ᵀz 才是软化的 max"),
            new("arg max returns which class wins, written as a one-hot vector; softmax is a smooth, differentiable version of that vector and tends to it as the temperature falls. The soft version of the maximum value itself is softmax(z)ᵀz, the probability-weighted mean of the logits.",
                "argmax 返回哪个类获胜，写成 one-hot 向量；softmax 是这个向量的平滑、可微版本，温度降低时趋近于它。最大值本身的软化版本是 softmax(z)ᵀz，即以概率为权重的 logit 平均值。"),
            new("“Why is the result of arg max written as a one-hot vector?” and “[softmax(z)ᵀz] — I did not understand.”", "“\"argmax\"函数的结果为什么是表示为一个 one-hot 向量？” 以及 “[softmax(z)ᵀz] 没明白。”"),
            new("An index like 2 and the vector (0, 0, 1, 0) say the same thing, but the vector lives in the same space as softmax's output, so the two can be compared and one can approach the other. Taking the dot product of that vector with z picks z₂ = max z; replacing the one-hot vector by softmax(z) gives a weighted average that moves from the mean of z (high temperature) to max z (low temperature).",
                "下标 2 和向量 (0, 0, 1, 0) 表达同一件事，但向量与 softmax 的输出在同一个空间里，两者可以比较，一个可以逼近另一个。用这个向量与 z 做点积就取出 z₂ = max z；把 one-hot 向量换成 softmax(z)，得到加权平均，它随温度从 z 的平均值（高温）移动到 max z（低温）。"),
            n => new($"Measured for z = [1, 2, 3, 0.5]: at T = 0.01 softmax is within {F(n["distanceFromOneHotAtT0.01"], "0.0E+0")} of the one-hot (0, 0, 1, 0) and softmax(z)ᵀz = {F(n["smoothMaxAtT0.01"], "F6")} = max z; at T = 100 it is {F(n["smoothMaxAtT100"], "F4")}, near the mean 1.625.",
                $"实测 z = [1, 2, 3, 0.5]：T = 0.01 时 softmax 与 one-hot (0, 0, 1, 0) 的差距在 {F(n["distanceFromOneHotAtT0.01"], "0.0E+0")} 以内，softmax(z)ᵀz = {F(n["smoothMaxAtT0.01"], "F6")} = max z；T = 100 时为 {F(n["smoothMaxAtT100"], "F4")}，接近平均值 1.625。")),
        new("inside", Experiments.InsideAModel,
            new("softmax inside a model", "模型内部的 softmax"),
            new("softmax also chooses among internal options: attention weighs values by softmax(q·k / √d), mixtures of experts gate their experts with a softmax, and pointer networks point with one.",
                "softmax 也用于在模型内部的多个选项中做选择：注意力机制用 softmax(q·k / √d) 给各个值加权，专家混合模型用 softmax 做门控，指针网络也用它来“指向”输入。"),
            new("“Choosing among n options of an internal variable — when is that used? Is softmax really used inside a model?”", "“内部变量的 n 个不同选项中进行选择，这个什么时候会用到？嗯，想知道，真的会吧 softmax 用在模型内部吗？”"),
            new("Yes, constantly: every Transformer layer computes one softmax per query over all keys. Because softmax is differentiable, the model can learn where to look by gradient descent, which a hard arg max would not allow. The worked example: a query aligned with key 2 puts more than half of its weight on that key's value.",
                "是的，而且非常普遍：Transformer 的每一层都对每个查询在所有键上计算一次 softmax。因为 softmax 可微，模型能用梯度下降学会“看哪里”，而硬性的 argmax 做不到。示例：与键 2 方向一致的查询把一半以上的权重放在这个键的值上。"),
            n => new($"Measured: the attention weight on the matching key is {F(n["weightOfMatchingKey"], "F4")}, the weights sum to {F(n["weightSum"], "F6")}, and the output is {F(n["output"], "F3")}, a blend pulled toward value 30.",
                $"实测：匹配键上的注意力权重为 {F(n["weightOfMatchingKey"], "F4")}，权重总和为 {F(n["weightSum"], "F6")}，输出为 {F(n["output"], "F3")}，偏向值 30 的加权混合。")),
        new("logits", Experiments.LogitsAreLogProbabilities,
            new("How a linear layer comes to predict log-probabilities", "线性层是怎样学会预测对数概率的"),
            new("Nothing in z = Wᵀh + b makes it a log-probability; the loss does. Trained by maximum likelihood, the logits converge to log-frequencies plus one constant per input, the constant that softmax removes.",
                "z = Wᵀh + b 本身没有任何东西让它成为对数概率；是损失函数做到的。用最大似然训练后，logit 收敛到对数频率加上每个输入各自的一个常数，而这个常数正是 softmax 会消去的。"),
            new("“How is the linear layer made to predict unnormalised log-probabilities?”", "“但是是怎么控制使线性层预测未归一化的对数概率的？”"),
            new("By the gradient: ∂(−log softmax(z)_y)/∂z = softmax(z) − onehot(y) vanishes on average only when softmax(z) equals the observed frequencies (section 5), that is when zᵢ = log fᵢ + c(x). Any layer that can reach such values will; the word “unnormalised” is the c(x).",
                "靠梯度：∂(−log softmax(z)_y)/∂z = softmax(z) − onehot(y)，它的平均值只有在 softmax(z) 等于观察频率时（第 5 节）才为零，也就是 zᵢ = log fᵢ + c(x) 时。任何能取到这些值的层都会被训练到那里；“未归一化”说的就是这个 c(x)。"),
            n => new($"Measured on the model of section 5: for each input, zᵢ − log fᵢ is the same for all classes within {F(n["largestSpreadOfOffsets"], "0.0E+0")}.",
                $"实测（第 5 节的模型）：对每个输入，各类的 zᵢ − log fᵢ 相同，差异不超过 {F(n["largestSpreadOfOffsets"], "0.0E+0")}。")),
    ];
}
