using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary>Options of one provider; <see cref="Problems"/> lists what is missing or malformed (never the values).</summary>
public interface IProviderOptions
{
    IEnumerable<string> Problems();
}

/// <summary>Registers the real channel providers whose configuration section is present.</summary>
public static class ChannelProviders
{
    /// <summary>
    /// For each configured <c>Providers:*</c> section, binds and validates (at start) its options and registers its
    /// <see cref="IChannelSender"/> or <see cref="IAudienceSender"/> with a typed HttpClient. A channel with no
    /// configured provider gets nothing here, so the development outbox keeps serving it.
    /// </summary>
    public static IServiceCollection AddChannelProviders(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddWebPushEndpoints(configuration);
        services.TryAddSingleton<ProviderHttpLogger>();

        if (Configured<SendGridOptions>(services, configuration, SendGridOptions.Section))
        {
            AddSender<SendGridEmailSender>(services);
            if (!string.IsNullOrWhiteSpace(configuration[$"{SendGridOptions.Section}:WebhookVerificationKey"]))
            {
                services.AddSingleton(sp => new SendGridEventWebhookVerifier(sp.GetRequiredService<IOptions<SendGridOptions>>().Value.WebhookVerificationKey!));
            }
        }

        if (Configured<TwilioOptions>(services, configuration, TwilioOptions.Section))
        {
            AddSender<TwilioSmsSender>(services);
            services.AddSingleton(sp => new TwilioSignatureVerifier(sp.GetRequiredService<IOptions<TwilioOptions>>().Value.AuthToken));
        }

        var push = false;
        if (Configured<FcmOptions>(services, configuration, FcmOptions.Section))
        {
            AddGoogleAccount<FcmOptions>(services, FcmPushSender.Name, FcmPushSender.Scope, o => (o.ServiceAccountJson, o.ServiceAccountFile));
            push = AddPushProvider<FcmPushSender>(services);
        }

        if (Configured<ApnsOptions>(services, configuration, ApnsOptions.Section))
        {
            services.AddSingleton<ApnsProviderToken>();
            push = AddPushProvider<ApnsPushSender>(services);
        }

        if (Configured<HuaweiOptions>(services, configuration, HuaweiOptions.Section))
        {
            services.AddSingleton<HuaweiAccessToken>();
            push = AddPushProvider<HuaweiPushSender>(services);
        }

        if (push)
        {
            services.AddTransient<IChannelSender, MobilePushSender>();
        }

        if (Configured<WebPushOptions>(services, configuration, WebPushOptions.Section))
        {
            services.AddSingleton<VapidSigner>();
            AddSender<WebPushSender>(services);
        }

        if (Configured<LineOptions>(services, configuration, LineOptions.Section))
        {
            AddSender<LinePushSender>(services);
        }

        if (Configured<MetaOptions>(services, configuration, MetaOptions.Section))
        {
            AddAudience<MetaAudienceSender>(services);
        }

        if (Configured<GoogleAudienceOptions>(services, configuration, GoogleAudienceOptions.Section))
        {
            AddGoogleAccount<GoogleAudienceOptions>(services, GoogleAudienceSender.Name, GoogleAudienceSender.Scope, o => (o.ServiceAccountJson, o.ServiceAccountFile));
            AddAudience<GoogleAudienceSender>(services);
        }

        return services;
    }

    /// <summary>
    /// <c>WebPush:AllowedHosts</c> (<see cref="WebPushEndpointOptions"/>), validated on start: the Api checks
    /// subscriptions against it, the Worker every web push request. Registered once however often it is called.
    /// </summary>
    public static IServiceCollection AddWebPushEndpoints(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<WebPushEndpointOptions>)))
        {
            return services;
        }

        services.AddOptions<WebPushEndpointOptions>().Bind(configuration.GetSection(WebPushEndpointOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebPushEndpointOptions>>(new ProviderOptionsValidator<WebPushEndpointOptions>(WebPushEndpointOptions.Section));
        return services;
    }

    private static bool Configured<T>(IServiceCollection services, IConfiguration configuration, string section)
        where T : class, IProviderOptions
    {
        if (!configuration.GetSection(section).Exists())
        {
            return false;
        }

        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new ProviderOptionsValidator<T>(section));
        return true;
    }

    private static void AddSender<T>(IServiceCollection services)
        where T : class, IChannelSender
    {
        // No retry handler: Temporal's activity retry policy is the one retry layer.
        services.AddHttpClient<T>(c => c.Timeout = TimeSpan.FromSeconds(15)).WithoutUrlLogs();
        services.AddTransient<IChannelSender>(sp => sp.GetRequiredService<T>());
    }

    private static bool AddPushProvider<T>(IServiceCollection services)
        where T : class, IPushTokenSender
    {
        // APNs needs HTTP/2; several connections keep one slow stream from holding up the rest.
        services.AddHttpClient<T>(c => c.Timeout = TimeSpan.FromSeconds(15))
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
            .WithoutUrlLogs();
        services.AddTransient<IPushTokenSender>(sp => sp.GetRequiredService<T>());
        return true;
    }

    private static void AddGoogleAccount<T>(IServiceCollection services, string key, string scope, Func<T, (string? Json, string? File)> source)
        where T : class
    {
        services.AddKeyedSingleton(key, (sp, _) =>
        {
            var (json, file) = source(sp.GetRequiredService<IOptions<T>>().Value);
            return new GoogleServiceAccount(GoogleServiceAccount.ReadJson(json, file), scope);
        });
    }

    private static void AddAudience<T>(IServiceCollection services)
        where T : class, IAudienceSender
    {
        services.AddHttpClient<T>(c => c.Timeout = TimeSpan.FromSeconds(30)).WithoutUrlLogs();
        services.AddTransient<IAudienceSender>(sp => sp.GetRequiredService<T>());
    }

    private static IHttpClientBuilder WithoutUrlLogs(this IHttpClientBuilder builder) =>
        builder.RemoveAllLoggers().AddLogger<ProviderHttpLogger>();

    private sealed class ProviderOptionsValidator<T>(string section) : IValidateOptions<T>
        where T : class, IProviderOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = options.Problems().Select(p => $"{section}: {p}").ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
