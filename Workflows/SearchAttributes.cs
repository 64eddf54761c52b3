using Temporalio.Common;

namespace AbandonedCart.Workflows;

/// <summary>
/// Custom search attributes engineers filter runs by in the Temporal Web UI. Registered in
/// <c>temporal-dev.yml</c> and in README's <c>temporal server start-dev --search-attribute …</c> command.
/// </summary>
public static class SearchAttributes
{
    /// <summary>Set at start by the API.</summary>
    public static readonly SearchAttributeKey<string> CustomerId = SearchAttributeKey.CreateKeyword("CustomerId");

    /// <summary>Set at start by the API.</summary>
    public static readonly SearchAttributeKey<string> Journey = SearchAttributeKey.CreateKeyword("Journey");

    /// <summary>Cart value at start, set by the API.</summary>
    public static readonly SearchAttributeKey<double> CartValue = SearchAttributeKey.CreateDouble("CartValue");

    /// <summary>Kept current by the workflow (see <c>AbandonedCartWorkflow.Stages</c>).</summary>
    public static readonly SearchAttributeKey<string> JourneyStage = SearchAttributeKey.CreateKeyword("JourneyStage");

    /// <summary>The channel of the latest message sent, kept current by the workflow.</summary>
    public static readonly SearchAttributeKey<string> LastChannel = SearchAttributeKey.CreateKeyword("LastChannel");
}
