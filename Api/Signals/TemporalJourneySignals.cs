using AbandonedCart.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Signals;

/// <summary>Delivers journey signals through Temporal.</summary>
public sealed class TemporalJourneySignals(ITemporalClient client) : IJourneySignals
{
    public async Task SignalWithStartAsync(CartSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var options = new WorkflowOptions(signal.WorkflowId, signal.TaskQueue)
        {
            // One journey per customer: a running journey receives the update instead of a second run starting.
            IdConflictPolicy = WorkflowIdConflictPolicy.UseExisting,
            StaticSummary = signal.Summary,
            TypedSearchAttributes = new SearchAttributeCollection.Builder()
                .Set(SearchAttributes.CustomerId, signal.Input.CustomerId)
                .Set(SearchAttributes.Journey, signal.Journey)
                .Set(SearchAttributes.CartValue, (double)signal.Update.TotalValue)
                .ToSearchAttributeCollection(),
            Rpc = new() { CancellationToken = cancellationToken },
        };
        var update = signal.Update;
        options.SignalWithStart((AbandonedCartWorkflow wf) => wf.CartUpdatedAsync(update));
        await client.StartWorkflowAsync((AbandonedCartWorkflow wf) => wf.RunAsync(signal.Input), options);
    }

    public async Task<bool> SignalAsync(PurchaseSignal signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var purchase = signal.Purchase;
        try
        {
            await client.GetWorkflowHandle<AbandonedCartWorkflow>(signal.WorkflowId)
                .SignalAsync(wf => wf.PurchaseCompletedAsync(purchase), new() { Rpc = new() { CancellationToken = cancellationToken } });
            return true;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            // No journey runs (never started, or already ended): the purchase is stored, nothing to end.
            return false;
        }
    }
}
