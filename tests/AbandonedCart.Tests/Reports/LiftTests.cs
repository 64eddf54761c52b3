using AbandonedCart.Activities.Reports;

namespace AbandonedCart.Tests.Reports;

public sealed class LiftTests
{
    [Fact]
    public void Compute_KnownRates_MatchesTwoProportionNormalApproximation()
    {
        var lift = Lift.Compute(treatmentConverted: 50, treatmentCarts: 100, holdoutConverted: 30, holdoutCarts: 100);

        Assert.True(lift.Measurable);
        Assert.Equal(0.5, lift.TreatmentRate, 12);
        Assert.Equal(0.3, lift.HoldoutRate, 12);
        Assert.Equal(0.2, lift.Absolute, 12);
        // Expected values from sqrt(pT(1-pT)/nT + pH(1-pH)/nH) and the Katz log-ratio interval, computed independently.
        Assert.Equal(0.067068775018, lift.AbsoluteLow, 9);
        Assert.Equal(0.332931224982, lift.AbsoluteHigh, 9);
        Assert.Equal(2.0 / 3.0, lift.Relative!.Value, 12);
        Assert.Equal(0.165309590954, lift.RelativeLow!.Value, 9);
        Assert.Equal(1.383725148527, lift.RelativeHigh!.Value, 9);
    }

    [Fact]
    public void Compute_NoHoldoutCarts_IsNotMeasurable()
    {
        var lift = Lift.Compute(5, 10, 0, 0);

        Assert.False(lift.Measurable);
        Assert.Equal(0.5, lift.TreatmentRate, 12);
        Assert.Null(lift.Relative);
    }

    [Fact]
    public void Compute_NoHoldoutConversions_RelativeIsUndefined()
    {
        var lift = Lift.Compute(5, 10, 0, 10);

        Assert.True(lift.Measurable);
        Assert.Equal(0.5, lift.Absolute, 12);
        Assert.Null(lift.Relative);
        Assert.Null(lift.RelativeLow);
    }
}
