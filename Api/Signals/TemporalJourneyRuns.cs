using AbandonedCart.Workflows;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace AbandonedCart.Api.Signals;

/// <summary>Queries and ends journey runs through Temporal.</summary>
public sealed class TemporalJourneyRuns(ITemporalClient client) : IJourneyRuns
{
    public async Task<AbandonedCartWorkflow.JourneyStatus?> StatusAsync(string customerId, CancellationToken cancellationToken)
    {
        try
        {
            return await client.GetWorkflowHandle<AbandonedCartWorkflow>(AbandonedCartWorkflow.IdFor(customerId))
                .QueryAsync(wf => wf.Status, new() { Rpc = new() { CancellationToken = cancellationToken } });
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<bool> EndAsync(string customerId, string reason, CancellationToken cancellationToken)
    {
        // Terminate rather than cancel: an erased customer's journey must not run any cleanup that sends or reads data.
        try
        {
            await client.GetWorkflowHandle(AbandonedCartWorkflow.IdFor(customerId))
                .TerminateAsync(reason, new() { Rpc = new() { CancellationToken = cancellationToken } });
            return true;
        }
        catch (RpcException e) when (e.Code == RpcException.StatusCode.NotFound)
        {
            return false;
        }
    }
}
