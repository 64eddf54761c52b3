using System.Collections.Concurrent;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Signals;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AbandonedCart.Tests.Api;

/// <summary>The real Api over a test database, with journey signals recorded instead of sent to Temporal.</summary>
internal sealed class ApiFactory(string connectionString, RecordingSignals signals) : WebApplicationFactory<EventInbox>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IJourneySignals>();
            services.AddSingleton<IJourneySignals>(signals);
        });
    }
}

/// <summary>Records every signal; customers listed in <see cref="Unreachable"/> fail as if Temporal were down.</summary>
internal sealed class RecordingSignals : IJourneySignals
{
    public ConcurrentQueue<CartSignal> Carts { get; } = new();

    public ConcurrentQueue<PurchaseSignal> Purchases { get; } = new();

    public ConcurrentDictionary<string, bool> Unreachable { get; } = new();

    public ConcurrentQueue<EngagementSignal> Engagements { get; } = new();

    public Task SignalWithStartAsync(CartSignal signal, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable(signal.Input.CustomerId);
        Carts.Enqueue(signal);
        return Task.CompletedTask;
    }

    public Task<bool> SignalAsync(PurchaseSignal signal, CancellationToken cancellationToken)
    {
        Purchases.Enqueue(signal);
        return Task.FromResult(Carts.Any(c => c.WorkflowId == signal.WorkflowId));
    }

    public Task<bool> EngagedAsync(EngagementSignal signal, CancellationToken cancellationToken)
    {
        Engagements.Enqueue(signal);
        return Task.FromResult(true);
    }

    private void ThrowIfUnreachable(string customerId)
    {
        if (Unreachable.ContainsKey(customerId))
        {
            throw new HttpRequestException("Temporal unreachable");
        }
    }
}
