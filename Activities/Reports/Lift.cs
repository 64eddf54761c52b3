namespace AbandonedCart.Activities.Reports;

/// <summary>
/// Treatment versus holdout cart conversion with 95% confidence intervals from the normal approximation:
/// the absolute difference uses the unpooled (Wald) standard error
/// <c>sqrt(pT(1-pT)/nT + pH(1-pH)/nH)</c>; the relative lift <c>pT/pH - 1</c> uses the log risk ratio (Katz),
/// <c>ln(pT/pH) ± 1.96·sqrt((1-pT)/xT + (1-pH)/xH)</c>, because a ratio is skewed and its interval must be too.
/// </summary>
public sealed record Lift
{
    private const double Z95 = 1.959963984540054;

    public required double TreatmentRate { get; init; }

    public required double HoldoutRate { get; init; }

    /// <summary>Treatment rate minus holdout rate (percentage points as a fraction).</summary>
    public required double Absolute { get; init; }

    public required double AbsoluteLow { get; init; }

    public required double AbsoluteHigh { get; init; }

    /// <summary>Absolute lift over the holdout rate; null when the holdout has no conversions (undefined ratio).</summary>
    public double? Relative { get; init; }

    public double? RelativeLow { get; init; }

    public double? RelativeHigh { get; init; }

    /// <summary>False when either group is empty: the rates are then reported but no lift can be claimed.</summary>
    public required bool Measurable { get; init; }

    public static Lift Compute(long treatmentConverted, long treatmentCarts, long holdoutConverted, long holdoutCarts)
    {
        var pT = Rate(treatmentConverted, treatmentCarts);
        var pH = Rate(holdoutConverted, holdoutCarts);
        if (treatmentCarts == 0 || holdoutCarts == 0)
        {
            return new Lift { TreatmentRate = pT, HoldoutRate = pH, Absolute = pT - pH, AbsoluteLow = pT - pH, AbsoluteHigh = pT - pH, Measurable = false };
        }

        var diff = pT - pH;
        var se = Math.Sqrt((pT * (1 - pT) / treatmentCarts) + (pH * (1 - pH) / holdoutCarts));
        double? relative = null, low = null, high = null;
        if (holdoutConverted > 0 && treatmentConverted > 0)
        {
            var logRatio = Math.Log(pT / pH);
            var logSe = Math.Sqrt(((1 - pT) / treatmentConverted) + ((1 - pH) / holdoutConverted));
            relative = (pT / pH) - 1;
            low = Math.Exp(logRatio - (Z95 * logSe)) - 1;
            high = Math.Exp(logRatio + (Z95 * logSe)) - 1;
        }
        else if (holdoutConverted > 0)
        {
            relative = -1;
        }

        return new Lift
        {
            TreatmentRate = pT,
            HoldoutRate = pH,
            Absolute = diff,
            AbsoluteLow = diff - (Z95 * se),
            AbsoluteHigh = diff + (Z95 * se),
            Relative = relative,
            RelativeLow = low,
            RelativeHigh = high,
            Measurable = true,
        };
    }

    public static double Rate(long part, long whole) => whole == 0 ? 0 : (double)part / whole;
}
