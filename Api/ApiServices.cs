using AbandonedCart.Activities;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Reports;
using AbandonedCart.Api.Signals;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Temporalio.Client;

namespace AbandonedCart.Api;

/// <summary>The Api's wiring: PostgreSQL, the Temporal client (lazy: the Api starts without a server), the inbox.</summary>
public static class ApiServices
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The Api migrates too, so the outbox and events work when only the Api runs (no Temporal, no Worker).
        builder.AddJourneyStorage();
        builder.AddTemporalOptions();
        builder.Services.AddTemporalClient();
        builder.Services.AddOptions<TemporalClientConnectOptions>()
            .Configure<IOptions<TemporalOptions>>((client, temporal) =>
            {
                client.TargetHost = temporal.Value.Address;
                client.Namespace = temporal.Value.Namespace;
            });
        builder.Services.TryAddSingleton<IJourneySignals, TemporalJourneySignals>();
        builder.Services.AddSingleton<EventInbox>();
        builder.Services.AddReportServices();
        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks();
        builder.AddTracking();
        return builder;
    }
}
