using AbandonedCart.Workflows;

namespace AbandonedCart.Api.Signals;

/// <summary>A customer's journey run as a whole: its query state, and ending it (erasure). Temporal in production.</summary>
public interface IJourneyRuns
{
    /// <summary>The journey's <c>Status</c> query; null when the customer has no journey.</summary>
    Task<AbandonedCartWorkflow.JourneyStatus?> StatusAsync(string customerId, CancellationToken cancellationToken);

    /// <summary>Ends the customer's journey at once; false when none runs.</summary>
    Task<bool> EndAsync(string customerId, string reason, CancellationToken cancellationToken);
}
