using AbandonedCart.Api.Signals;
using AbandonedCart.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Client.Interceptors;
using Temporalio.Exceptions;

namespace AbandonedCart.Tests.Api;

/// <summary>
/// What <see cref="TemporalJourneySignals"/> asks of Temporal, seen by a client interceptor on a real (lazy,
/// never connected) client: no server runs here, so the interceptor answers instead of the network.
/// </summary>
public sealed class TemporalJourneySignalsTests
{
    private static readonly CartUpdated Update = new()
    {
        EventId = "e-1",
        OccurredAt = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero),
        Device = Devices.Desktop,
        Items = [new CartItem { Sku = "A1", Name = "Lipstick", Price = 19.9m, Quantity = 2 }],
    };

    [Fact]
    public async Task SignalWithStartAsync_CartUpdate_StartsJourneyWithSignalSummaryAndSearchAttributes()
    {
        var recorder = new Recorder();
        var signals = new TemporalJourneySignals(Client(recorder));

        await Assert.ThrowsAsync<Answered>(() => signals.SignalWithStartAsync(CartSignal.For("c-1", Update, "carts"), CancellationToken.None));

        var start = recorder.Start!;
        Assert.Equal(("AbandonedCartWorkflow", "abandoned-cart:c-1", "carts"), (start.Workflow, start.Options.Id, start.Options.TaskQueue));
        Assert.Equal("c-1", Assert.IsType<AbandonedCartWorkflow.Input>(Assert.Single(start.Args)).CustomerId);
        Assert.Equal(WorkflowIdConflictPolicy.UseExisting, start.Options.IdConflictPolicy);
        Assert.Equal("CartUpdated", start.Options.StartSignal);
        Assert.Same(Update, Assert.Single(start.Options.StartSignalArgs!));
        Assert.Equal("Customer c-1: 2 item(s), 39.80 EUR", start.Options.StaticSummary);
        var attributes = start.Options.TypedSearchAttributes!;
        Assert.Equal(
            ("c-1", Journeys.AbandonedCart, 39.8),
            (attributes.Get(SearchAttributes.CustomerId), attributes.Get(SearchAttributes.Journey), attributes.Get(SearchAttributes.CartValue)));
    }

    [Fact]
    public async Task SignalAsync_NoRunningJourney_ReturnsFalse()
    {
        var recorder = new Recorder { SignalAnswer = new RpcException(RpcException.StatusCode.NotFound, "workflow not found", null) };
        var signals = new TemporalJourneySignals(Client(recorder));
        var purchase = new PurchaseCompleted { EventId = "e-2", OrderId = "o-1", OccurredAt = Update.OccurredAt, Revenue = 39.8m };

        var delivered = await signals.SignalAsync(PurchaseSignal.For("c-1", purchase), CancellationToken.None);

        Assert.False(delivered);
        Assert.Equal(("abandoned-cart:c-1", "PurchaseCompleted"), (recorder.Signal!.Id, recorder.Signal.Signal));
        Assert.Same(purchase, Assert.Single(recorder.Signal.Args));
    }

    [Fact]
    public async Task SignalAsync_TemporalUnavailable_Throws()
    {
        var recorder = new Recorder { SignalAnswer = new RpcException(RpcException.StatusCode.Unavailable, "unavailable", null) };
        var signals = new TemporalJourneySignals(Client(recorder));
        var purchase = new PurchaseCompleted { EventId = "e-3", OrderId = "o-2", OccurredAt = Update.OccurredAt };

        await Assert.ThrowsAsync<RpcException>(() => signals.SignalAsync(PurchaseSignal.For("c-1", purchase), CancellationToken.None));
    }

    private static TemporalClient Client(Recorder recorder) =>
        TemporalClient.CreateLazy(new("127.0.0.1:1") { Interceptors = [recorder] });

    private sealed class Answered : Exception;

    private sealed class Recorder : IClientInterceptor
    {
        public StartWorkflowInput? Start { get; private set; }

        public SignalWorkflowInput? Signal { get; private set; }

        public Exception SignalAnswer { get; init; } = new Answered();

        public ClientOutboundInterceptor InterceptClient(ClientOutboundInterceptor nextInterceptor) => new Outbound(this, nextInterceptor);

        private sealed class Outbound(Recorder recorder, ClientOutboundInterceptor next) : ClientOutboundInterceptor(next)
        {
            public override Task<WorkflowHandle<TWorkflow, TResult>> StartWorkflowAsync<TWorkflow, TResult>(StartWorkflowInput input)
            {
                recorder.Start = input;
                throw new Answered();
            }

            public override Task SignalWorkflowAsync(SignalWorkflowInput input)
            {
                recorder.Signal = input;
                throw recorder.SignalAnswer;
            }
        }
    }
}
