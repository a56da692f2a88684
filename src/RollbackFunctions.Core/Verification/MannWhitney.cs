namespace RollbackFunctions.Core.Verification;

/// <summary>The outcome of a one-sided Mann-Whitney U test.</summary>
/// <param name="U">U of the first sample: how many (x, y) pairs have x above y, a tie counting one half.</param>
/// <param name="PValue">The chance of a U at least this large if both samples came from one distribution.</param>
/// <param name="Exact">True when the p-value is the exact permutation probability, false for the normal approximation.</param>
public sealed record MannWhitneyResult(double U, double PValue, bool Exact);

/// <summary>
/// The Mann-Whitney U (Wilcoxon rank-sum) test, one-sided: does <c>x</c> tend to be larger than
/// <c>y</c>? Rank-based, so it assumes no distribution (error ratios are skewed and bounded, not
/// normal) and one outlying interval moves it by one rank, not by its size. This is the test
/// Kayenta's canary judge runs. Small samples without ties get the exact permutation
/// distribution; otherwise the normal approximation with the tie correction and a continuity
/// correction, as <c>scipy.stats.mannwhitneyu(x, y, alternative="greater")</c> computes it.
/// </summary>
public static class MannWhitney
{
    /// <summary>Both samples at most this large and no ties: the exact distribution (C(40, 20) ~ 1.4e11 still fits a double).</summary>
    public const int ExactLimit = 20;

    /// <summary>Tests whether <paramref name="x"/> tends to be larger than <paramref name="y"/>.</summary>
    /// <param name="x">The sample suspected to be larger (the canary).</param>
    /// <param name="y">The sample it is compared with (the baseline).</param>
    /// <param name="exactWhenPossible">False forces the normal approximation (scipy's <c>method="asymptotic"</c>).</param>
    public static MannWhitneyResult Greater(IReadOnlyList<double> x, IReadOnlyList<double> y, bool exactWhenPossible = true)
    {
        ArgumentOutOfRangeException.ThrowIfZero(x.Count);
        ArgumentOutOfRangeException.ThrowIfZero(y.Count);
        var (n1, n2) = (x.Count, y.Count);
        var ranks = MidRanks([.. x, .. y], out var tieTerm);
        var u = ranks.Take(n1).Sum() - n1 * (n1 + 1) / 2.0;
        if (exactWhenPossible && tieTerm == 0 && n1 <= ExactLimit && n2 <= ExactLimit)
        {
            return new MannWhitneyResult(u, ExactUpperTail(n1, n2, (int)Math.Round(u)), true);
        }

        double n = n1 + n2;
        var variance = n1 * n2 / 12.0 * (n + 1 - tieTerm / (n * (n - 1)));
        if (variance <= 0)
        {
            return new MannWhitneyResult(u, 1, false); // every value tied: no evidence either way
        }

        var z = (u - n1 * n2 / 2.0 - 0.5) / Math.Sqrt(variance);
        return new MannWhitneyResult(u, Math.Min(1, NormalUpperTail(z)), false);
    }

    /// <summary>Ranks 1..n with ties given the mean of the ranks they span; <paramref name="tieTerm"/> is Σ(t³ - t) over tie groups.</summary>
    private static double[] MidRanks(double[] values, out double tieTerm)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Length];
        tieTerm = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            var mid = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = mid;
            }

            double t = end - start + 1;
            tieTerm += t * t * t - t;
            start = end + 1;
        }

        return ranks;
    }

    /// <summary>
    /// P(U ≥ u) over all C(n1 + n2, n1) equally likely orderings. f(i, j, k), the orderings of i x's
    /// and j y's with U = k: the largest value is either an x (above all j y's: f(i-1, j, k-j)) or a y (f(i, j-1, k)).
    /// </summary>
    private static double ExactUpperTail(int n1, int n2, int u)
    {
        var f = new double[n1 + 1, n2 + 1][];
        for (var i = 0; i <= n1; i++)
        {
            for (var j = 0; j <= n2; j++)
            {
                var counts = f[i, j] = new double[i * j + 1];
                if (i == 0 || j == 0)
                {
                    counts[0] = 1;
                    continue;
                }

                for (var k = 0; k <= i * j; k++)
                {
                    counts[k] = (k >= j && k - j <= (i - 1) * j ? f[i - 1, j][k - j] : 0) + (k <= i * (j - 1) ? f[i, j - 1][k] : 0);
                }
            }
        }

        var all = f[n1, n2];
        return all.Skip(Math.Max(0, u)).Sum() / all.Sum();
    }

    /// <summary>1 - Φ(z) = erfc(z / √2) / 2.</summary>
    public static double NormalUpperTail(double z) => Erfc(z / Math.Sqrt(2)) / 2;

    /// <summary>
    /// The complementary error function by the Chebyshev fit of Numerical Recipes (erfcc), with a
    /// relative error below 1.2e-7 everywhere: ample for a p-value compared with 0.05.
    /// </summary>
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
