using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
        services.AddSingleton(TimeProvider.System);

        if (Configured<WebPushOptions>(services, configuration, WebPushOptions.Section))
        {
            services.AddSingleton<VapidSigner>();
            AddSender<WebPushSender>(services);
        }

        return services;
    }

    private static bool Configured<T>(IServiceCollection services, IConfiguration configuration, string section)
        where T : class, IProviderOptions
    {
        if (!configuration.GetSection(section).Exists())
        {
            return false;
        }

        services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new ProviderOptionsValidator<T>(section));
        return true;
    }

    private static void AddSender<T>(IServiceCollection services)
        where T : class, IChannelSender
    {
        // No retry handler: Temporal's activity retry policy is the one retry layer.
        services.AddHttpClient<T>(c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddTransient<IChannelSender>(sp => sp.GetRequiredService<T>());
    }

    private static void AddAudience<T>(IServiceCollection services)
        where T : class, IAudienceSender
    {
        services.AddHttpClient<T>(c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddTransient<IAudienceSender>(sp => sp.GetRequiredService<T>());
    }

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
