using AbandonedCart.Activities.Reports;
using AbandonedCart.Activities.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AbandonedCart.Api.Reports;

/// <summary>The evaluation report API and the dashboard page; both need an <c>NpgsqlDataSource</c> registered.</summary>
public static class ReportEndpoints
{
    public static IServiceCollection AddReportServices(this IServiceCollection services)
    {
        services.TryAddSingleton<ReportStore>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<ReportRollupRefresh>();
        return services;
    }

    /// <summary><c>GET /v1/reports/journeys/{journey}?from=&amp;to=&amp;attributionHours=</c>, bearer admin key.</summary>
    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/reports/journeys/{journey}", GetReportAsync).WithName("GetJourneyReport");
        return app;
    }

    /// <summary><c>GET /dashboard</c>, HTTP Basic (user <c>admin</c>, password the admin key).</summary>
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/dashboard", GetDashboardAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Ok<JourneyReport>, ProblemHttpResult, ValidationProblem>> GetReportAsync(
        string journey, string? from, string? to, string? attributionHours, HttpRequest request, IConfiguration configuration,
        ReportStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!AdminAccess.IsBearer(request.Headers.Authorization, configuration[AdminAccess.ConfigKey]))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "Send the admin key as 'Authorization: Bearer <key>'.");
        }

        if (!ReportQuery.IsJourneyName(journey))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["journey"] = [ReportQuery.JourneyNameError] }, title: "Invalid parameter 'journey'.");
        }

        var (query, parameter, error) = ReportQuery.Parse(from, to, attributionHours, clock.GetUtcNow());
        if (query is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [parameter!] = [error!] }, title: $"Invalid parameter '{parameter}'.");
        }

        var counts = await store.CountAsync(journey, query.From, query.To, query.Window, cancellationToken);
        return TypedResults.Ok(JourneyReport.Create(journey, query.From, query.To, query.AttributionHours, counts));
    }

    private static async Task<IResult> GetDashboardAsync(
        string? journey, string? from, string? to, string? attributionHours, HttpContext context, IConfiguration configuration,
        ReportStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!AdminAccess.IsBasic(context.Request.Headers.Authorization, configuration[AdminAccess.ConfigKey]))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"dashboard\", charset=\"UTF-8\"";
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign in as admin with the admin key.");
        }

        var journeys = await store.JourneysAsync(cancellationToken);
        var selected = string.IsNullOrWhiteSpace(journey) ? journeys.FirstOrDefault() ?? Workflows.Journeys.AbandonedCart : journey;
        var form = new DashboardForm(selected, from, to, attributionHours, journeys);
        var (query, _, error) = ReportQuery.IsJourneyName(selected) ? ReportQuery.Parse(from, to, attributionHours, clock.GetUtcNow()) : (null, "journey", ReportQuery.JourneyNameError);
        if (query is null)
        {
            return TypedResults.Content(DashboardPage.Render(form, null, error), "text/html; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
        }

        var counts = await store.CountAsync(selected, query.From, query.To, query.Window, cancellationToken);
        var report = JourneyReport.Create(selected, query.From, query.To, query.AttributionHours, counts);
        return TypedResults.Content(DashboardPage.Render(form, report, null), "text/html; charset=utf-8");
    }
}
