/* Renderer options: the options object pyinstrument's command line builds for a renderer
 * (compute_render_options()), and setting struct render_opts from it as the renderer's
 * constructor would, driven by the options each renderer declares. The -p syntax (key paths,
 * JSON values) is the command line's; nothing here knows an option by name except the
 * FrameRenderer options shared by every tree renderer. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/errmsg.h"
#include "renderers.h"

/* pyinstrument's wrapping of a TypeError or MisconfigurationError from the constructor */
static int
misconfigured(const struct renderer *r, const char *why, char *err, size_t errlen)
{
        return errmsg(err, errlen, -EINVAL,
                      "Failed to create %s renderer. Check your renderer options.\n  %s", r->name,
                      why);
}

/* The CLI puts its hide and show regexes (or nulls) into every FrameRenderer's
 * processor_options. */
static cJSON *
processor_from_cli(const struct render_cli *cli)
{
        cJSON *po = cJSON_CreateObject();

        if (cli->hide_regex)
                cJSON_AddStringToObject(po, "hide_regex", cli->hide_regex);
        else
                cJSON_AddNullToObject(po, "hide_regex");
        if (cli->show_regex)
                cJSON_AddStringToObject(po, "show_regex", cli->show_regex);
        else
                cJSON_AddNullToObject(po, "show_regex");
        return po;
}

const struct renderer_option renderer_frame_options[] = {
        { "show_all", RENDERER_OPTION_BOOL, offsetof(struct render_opts, show_all) },
        { "timeline", RENDERER_OPTION_BOOL, offsetof(struct render_opts, timeline) },
        { "processor_options", RENDERER_OPTION_PROCESSOR, .from_cli = processor_from_cli },
        { NULL },
};

/* Python truthiness of a JSON value */
static bool
truthy(const cJSON *v)
{
        if (cJSON_IsBool(v))
                return cJSON_IsTrue(v);
        if (cJSON_IsNumber(v))
                return v->valuedouble != 0;
        if (cJSON_IsString(v))
                return v->valuestring[0] != '\0';
        if (cJSON_IsArray(v) || cJSON_IsObject(v))
                return v->child != NULL;
        return false;
}

static const struct renderer_option *
option_find(const struct renderer *r, const char *name)
{
        for (const struct renderer_option *const *set = r->options; set && *set; set++)
                for (const struct renderer_option *opt = *set; opt->name; opt++)
                        if (strcmp(opt->name, name) == 0)
                                return opt;
        return NULL;
}

cJSON *
renderer_options_new(const struct renderer *r, const struct render_cli *cli)
{
        cJSON *opts = cJSON_CreateObject();

        for (const struct renderer_option *const *set = r->options; set && *set; set++) {
                for (const struct renderer_option *opt = *set; opt->name; opt++) {
                        cJSON *v = opt->from_cli ? opt->from_cli(cli) : NULL;
                        if (v)
                                cJSON_AddItemToObject(opts, opt->name, v);
                }
        }
        /* pyinstrument adds these for any renderer; one without them then refuses them */
        if (cli->timeline)
                cJSON_AddTrueToObject(opts, "timeline");
        if (cli->show_all)
                cJSON_AddTrueToObject(opts, "show_all");
        return opts;
}

static int
regex_option(const cJSON *v,
             regex_t *re,
             const regex_t **ret,
             const char *what,
             char *err,
             size_t errlen)
{
        if (!v || cJSON_IsNull(v))
                return 0;
        if (!cJSON_IsString(v))
                return errmsg(err, errlen, -EINVAL, "processor option %s must be a string", what);
        int rc = regcomp(re, v->valuestring, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
                char msg[128];
                regerror(rc, re, msg, sizeof(msg));
                return errmsg(err, errlen, -EINVAL, "bad %s '%s': %s", what, v->valuestring, msg);
        }
        *ret = re;
        return 0;
}

/* processor_options (@po, NULL when absent) into o->processor */
static int
apply_processor(
        const struct renderer *r, const cJSON *po, struct render_opts *o, char *err, size_t errlen)
{
        if (po && !cJSON_IsObject(po))
                return misconfigured(r, "processor_options must be an object", err, errlen);
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(po, "filter_threshold");
        if (th && !cJSON_IsNumber(th))
                return errmsg(err, errlen, -EINVAL,
                              "processor option filter_threshold must be a number");
        o->processor.filter_threshold = th ? th->valuedouble : 0.01;
        int res = regex_option(cJSON_GetObjectItemCaseSensitive(po, "hide_regex"), &o->hide,
                               &o->processor.hide_regex, "hide_regex", err, errlen);
        if (res >= 0)
                res = regex_option(cJSON_GetObjectItemCaseSensitive(po, "show_regex"), &o->show,
                                   &o->processor.show_regex, "show_regex", err, errlen);
        return res;
}

int
renderer_options_apply(const struct renderer *r,
                       const cJSON *opts,
                       struct render_opts *o,
                       char *err,
                       size_t errlen)
{
        const cJSON *it, *po = NULL;
        const char *why;
        int res;

        *o = (struct render_opts){ .thread = o->thread };
        /* every key is checked before any processor option, as the constructor's keyword
         * arguments are */
        cJSON_ArrayForEach(it, opts)
        {
                const struct renderer_option *opt = option_find(r, it->string);
                bool *b = opt ? (bool *)((char *)o + opt->offset) : NULL;

                if (!opt) {
                        char msg[256];
                        snprintf(msg, sizeof(msg), "unexpected keyword argument '%s'", it->string);
                        return misconfigured(r, msg, err, errlen);
                }
                switch (opt->type) {
                case RENDERER_OPTION_BOOL:
                        *b = truthy(it);
                        break;
                case RENDERER_OPTION_CHOICE:
                        *b = (cJSON_IsString(it) && strcmp(it->valuestring, opt->value) == 0) ==
                             opt->if_equal;
                        break;
                case RENDERER_OPTION_PROCESSOR:
                        po = it;
                        break;
                }
        }
        res = apply_processor(r, po, o, err, errlen);
        if (res < 0)
                return res;
        why = r->check_options ? r->check_options(o) : NULL;
        return why ? misconfigured(r, why, err, errlen) : 0;
}

void
renderer_opts_release(struct render_opts *o)
{
        if (o->processor.hide_regex == &o->hide)
                regfree(&o->hide);
        if (o->processor.show_regex == &o->show)
                regfree(&o->show);
        o->processor.hide_regex = o->processor.show_regex = NULL;
}
