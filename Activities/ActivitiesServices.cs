using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registrations shared by the Worker and the Api.</summary>
public static class ActivitiesServices
{
    /// <summary>The PostgreSQL data source (from <c>ConnectionStrings:Postgres</c>), the stores and start-up migrations.</summary>
    public static IHostApplicationBuilder AddJourneyStorage(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ConnectionStrings>()
            .BindConfiguration(ConnectionStrings.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Postgres), "ConnectionStrings:Postgres is required (env ConnectionStrings__Postgres).")
            .ValidateOnStart();
        services.TryAddSingleton(sp => NpgsqlDataSource.Create(sp.GetRequiredService<IOptions<ConnectionStrings>>().Value.Postgres));
        services.TryAddSingleton<CustomerStore>();
        services.TryAddSingleton<MessageStore>();
        services.TryAddSingleton<JourneyStore>();
        services.TryAddSingleton<EventStore>();
        services.TryAddSingleton<PurchaseStore>();
        services.TryAddSingleton<AudienceStore>();
        services.TryAddSingleton<OutboxStore>();
        services.TryAddSingleton<EngagementStore>();
        services.TryAddSingleton<JourneySignalStore>();
        services.TryAddSingleton<AbandonedCart.Activities.Customers.CustomerErasure>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<SchemaMigration>();
        return builder;
    }

    /// <summary>
    /// Section <c>Temporal</c> (Address, Namespace, TaskQueue), validated on start; the Worker and the Api both
    /// connect with these values.
    /// </summary>
    public static IHostApplicationBuilder AddTemporalOptions(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TemporalOptions>()
            .BindConfiguration(TemporalOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Address), "Temporal:Address is required (host:port).")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Namespace), "Temporal:Namespace is required.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.TaskQueue), "Temporal:TaskQueue is required.")
            .ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Storage, the sender registries and <see cref="JourneyActivities"/>. Provider senders are picked up from
    /// <see cref="IChannelSender"/> / <see cref="IAudienceSender"/> registrations; every other channel uses the outbox.
    /// </summary>
    public static IHostApplicationBuilder AddJourneyActivities(this IHostApplicationBuilder builder)
    {
        builder.AddJourneyStorage();
        builder.Services.TryAddSingleton<ChannelSenders>();
        builder.Services.TryAddSingleton<AudienceSenders>();
        builder.Services.TryAddScoped<JourneyActivities>();
        builder.AddTrackingTokens();
        return builder;
    }

    /// <summary>
    /// Section <c>Tracking</c> (SigningSecret, BaseUrl, CartUrl), validated on start when set. The Worker signs the
    /// links it sends with it; the Api verifies them, so both must share the secret.
    /// </summary>
    public static IHostApplicationBuilder AddTrackingTokens(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TrackingOptions>()
            .BindConfiguration(TrackingOptions.Section)
            .Validate(o => !o.Problems().Any(), "Tracking: SigningSecret (32+ characters) and an absolute BaseUrl are both required once either is set.")
            .Validate(o => o.TokenLifetime > TimeSpan.Zero, "Tracking:TokenLifetime must be positive (e.g. 60.00:00:00).")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<TrackingTokens>();
        return builder;
    }
}
