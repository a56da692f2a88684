using CsCheck;
using RollbackFunctions.Core.Verification;

namespace RollbackFunctions.Core.Tests.Verification;

/// <summary>
/// The U test against values worked out independently: scipy's documented example
/// (<c>mannwhitneyu(males, females)</c>: exact two-sided p 0.1111, asymptotic 0.11134688653314041,
/// so one-sided half of each), and by enumerating every permutation (a short Python script:
/// itertools.combinations over the pooled sample) and the tie-corrected formula in Python's math.erfc.
/// </summary>
public sealed class MannWhitneyTests
{
    private static readonly double[] Males = [19, 22, 16, 29, 24];
    private static readonly double[] Females = [20, 11, 17, 12];

    [Fact]
    public void Greater_ScipyExample_Exact_IsHalfTheTwoSidedP()
    {
        var result = MannWhitney.Greater(Males, Females);

        Assert.True(result.Exact);
        Assert.Equal(17, result.U);
        Assert.Equal(1 / 18.0, result.PValue, 12);
    }

    [Fact]
    public void Greater_ScipyExample_Asymptotic_MatchesScipyWithContinuityCorrection()
    {
        var result = MannWhitney.Greater(Males, Females, exactWhenPossible: false);

        Assert.False(result.Exact);
        Assert.Equal(0.11134688653314041 / 2, result.PValue, 6);
    }

    [Fact]
    public void Greater_EveryXAboveEveryY_IsOneOrderingInTen() =>
        Assert.Equal(0.1, MannWhitney.Greater([3, 4, 5], [1, 2]).PValue, 12);

    [Fact]
    public void Greater_InterleavedSamples_MatchEnumeratedPermutations()
    {
        var result = MannWhitney.Greater([1.1, 3.3, 4.5, 6.0, 7.2, 8.8], [0.9, 2.0, 2.8, 3.9, 5.1, 5.5, 6.6]);

        Assert.Equal(28, result.U);
        Assert.Equal(0.18298368298368298, result.PValue, 12);
    }

    /// <summary>Error ratios repeat (scrapes, rounding), so the tie correction is the common case, not the edge.</summary>
    [Fact]
    public void Greater_WithTies_UsesTheTieCorrectedNormalApproximation()
    {
        double[] canary = [0.05, 0.04, 0.06, 0.03, 0.05, 0.07, 0.04, 0.05, 0.06, 0.05];
        double[] baseline = [0.01, 0.02, 0.01, 0.03, 0.01, 0.02, 0.01, 0.01, 0.02, 0.05];

        var worse = MannWhitney.Greater(canary, baseline);
        var better = MannWhitney.Greater(baseline, canary);

        Assert.False(worse.Exact);
        Assert.Equal(94.5, worse.U);
        Assert.Equal(0.00035400103107522903, worse.PValue, 6);
        Assert.Equal(5.5, better.U);
        Assert.Equal(0.9997333289076178, better.PValue, 6);
    }

    [Fact]
    public void Greater_AllValuesTied_IsNoEvidence() =>
        Assert.Equal(1, MannWhitney.Greater([0.01, 0.01, 0.01], [0.01, 0.01, 0.01, 0.01]).PValue);

    [Theory]
    [InlineData(0, 0.5)]
    [InlineData(1.6448536269514722, 0.05)]
    [InlineData(-1.959963984540054, 0.975)]
    [InlineData(3.090232306167813, 0.001)]
    public void NormalUpperTail_MatchesTheNormalTable(double z, double p) =>
        Assert.Equal(p, MannWhitney.NormalUpperTail(z), 6);

    private static readonly Gen<double[]> Sample = Gen.Double[0, 1].Select(v => Math.Round(v, 2)).Array[2, 15];

    private static bool NoTies(double[] x, double[] y) => x.Concat(y).Distinct().Count() == x.Length + y.Length;

    /// <summary>U(x, y) + U(y, x) = n1·n2: the two one-sided statistics always share out every pair.</summary>
    [Fact]
    public void Greater_UOfBothDirections_SumToEveryPair() =>
        Gen.Select(Sample, Sample).Sample((x, y) =>
            Math.Abs(MannWhitney.Greater(x, y).U + MannWhitney.Greater(y, x).U - x.Length * y.Length) < 1e-9);

    /// <summary>Ranks only: adding a constant to both samples, or scaling both, changes nothing.</summary>
    [Fact]
    public void Greater_ShiftOrScaleOfBothSamples_KeepsThePValue() =>
        Gen.Select(Sample, Sample, Gen.Double[-5, 5], Gen.Double[0.5, 100]).Sample((x, y, shift, scale) =>
        {
            var before = MannWhitney.Greater(x, y);
            var after = MannWhitney.Greater([.. x.Select(v => v * scale + shift)], [.. y.Select(v => v * scale + shift)]);
            return before.U == after.U && Math.Abs(before.PValue - after.PValue) < 1e-12;
        });

    /// <summary>Moving the canary up never makes it look better (continuous values: no ties, so one method throughout).</summary>
    [Fact]
    public void Greater_RaisingTheFirstSample_NeverRaisesThePValue() =>
        // Ties switch the method (exact to normal approximation), and CsCheck draws the bounds 0 and 1
        // often: only cases without ties before or after the lift say something about ranks.
        // Values drawn from a million distinct ratios keep most cases tie-free.
        Gen.Select(Distinct.Array[2, 15], Distinct.Array[2, 15], Gen.Int[1, 1000]).Sample((x, y, step) =>
        {
            var lifted = x.Select(v => v + (step / 1000.0)).ToArray();
            return !NoTies(x, y) || !NoTies(lifted, y)
                || MannWhitney.Greater(lifted, y).PValue <= MannWhitney.Greater(x, y).PValue + 1e-12;
        });

    private static readonly Gen<double> Distinct = Gen.Int[0, 1_000_000].Select(i => i / 1_000_000.0);
}
